// "Open now / next opens" from the openings the build computed (saihan portal build).
// Times are shown in Tokyo time whatever the reader's clock zone is.
(function () {
  "use strict";
  var data = document.getElementById("openings");
  var out = document.getElementById("open-status");
  if (!data || !out) { return; }
  var info = JSON.parse(data.textContent);
  var ja = info.lang === "ja";
  var fmt = new Intl.DateTimeFormat(ja ? "ja-JP" : "en-GB", {
    timeZone: "Asia/Tokyo", month: ja ? "numeric" : "short", day: "numeric",
    weekday: "short", hour: "2-digit", minute: "2-digit", hour12: false
  });
  var clock = new Intl.DateTimeFormat(ja ? "ja-JP" : "en-GB", {
    timeZone: "Asia/Tokyo", hour: "2-digit", minute: "2-digit", hour12: false
  });
  var now = Date.now() / 1000;
  if (now > info.window_end || now < info.generated) {
    document.getElementById("stale-note").hidden = false;
  }
  if (!info.known) {
    out.textContent = ja ? "受付時間は掲載されていないか、現在受け付けていません。"
                         : "No published hours, or not taking people now.";
    out.dataset.state = "unknown";
    return;
  }
  var open = null, next = null;
  for (var i = 0; i < info.intervals.length; i++) {
    var iv = info.intervals[i];
    if (iv[0] <= now && now < iv[1]) { open = iv; break; }
    if (iv[0] > now) { next = iv; break; }
  }
  if (open) {
    out.dataset.state = "open";
    out.dataset.change = String(open[1]);
    out.textContent = ja ? "受付中です（" + clock.format(new Date(open[1] * 1000)) + "まで）"
                         : "Open now (until " + clock.format(new Date(open[1] * 1000)) + ")";
  } else if (next) {
    out.dataset.state = "closed";
    out.dataset.next = String(next[0]);
    out.textContent = ja ? "受付時間外です。次の受付: " + fmt.format(new Date(next[0] * 1000))
                         : "Closed now. Next opens: " + fmt.format(new Date(next[0] * 1000));
  } else {
    out.dataset.state = "beyond";
    out.textContent = ja ? "計算した期間内に受付の予定はありません。窓口に確認してください。"
                         : "No opening within the computed window: check with the desk.";
  }
})();
