"""Find support for a person in a Tokyo municipality, from the bundled sample directory.

Run:  python examples/find_support.py [MUNICIPALITY] [NEED ...]
e.g.  python examples/find_support.py 八王子市 housing employment
"""

from __future__ import annotations

import sys

from saihan import SaihanError
from saihan.directory import municipality, sample_directory


def main(argv: list[str]) -> int:
    place_name = argv[0] if argv else "hachioji"
    needs = argv[1:] or ["housing", "employment"]
    directory = sample_directory()
    try:
        place = municipality(place_name)
        print(f"{place.name_ja} ({place.name_en}, {place.code})")
        for need in needs:
            label = directory.taxonomy.get(need).label
            found = directory.search(need=need, municipality=place.code, accepting_referrals=True)
            print(f"\n{label.ja} / {label.en}: {len(found)}")
            for service in found:
                agency = directory.agency_of(service)
                channels = ", ".join(sorted(directory.channels_of(service)))
                print(f"  - {service.name.ja} [{agency.name.ja}] ({channels})")
    except SaihanError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
