"""USPS Publication 28 tables (data only): street suffixes (Appendix C1), secondary unit designators (C2),
directionals, state codes. Keys are upper-case words with punctuation removed; values are the standard
abbreviations. Used by `workstation.normalize` (address keys), `workstation.rules.checks_subject` and the release
gate (`workstation.redaction.gate_match`); below both, so that normalize imports nothing from the rules.
"""

from __future__ import annotations

# Standard suffix abbreviation: the spellings that mean it (the full word and common variants, C1).
_SUFFIX_SPEC = """
ALY: ALLEE ALLEY ALLY / ANX: ANEX ANNEX ANNX / ARC: ARCADE / AVE: AV AVEN AVENU AVENUE AVN AVNUE
BYU: BAYOO BAYOU / BCH: BEACH / BND: BEND / BLF: BLUF BLUFF / BLFS: BLUFFS / BTM: BOT BOTTM BOTTOM
BLVD: BOUL BOULEVARD BOULV / BR: BRNCH BRANCH / BRG: BRDGE BRIDGE / BRK: BROOK / BRKS: BROOKS / BG: BURG
BGS: BURGS / BYP: BYPA BYPAS BYPASS BYPS / CP: CAMP CMP / CYN: CANYN CANYON CNYN / CPE: CAPE
CSWY: CAUSEWAY CAUSWA / CTR: CEN CENT CENTER CENTR CENTRE CNTER CNTR / CTRS: CENTERS
CIR: CIRC CIRCL CIRCLE CRCL CRCLE / CIRS: CIRCLES / CLF: CLIFF / CLFS: CLIFFS / CLB: CLUB / CMN: COMMON
CMNS: COMMONS / COR: CORNER / CORS: CORNERS / CRSE: COURSE / CT: COURT / CTS: COURTS / CV: COVE
CVS: COVES / CRK: CREEK / CRES: CRESCENT CRSENT CRSNT / CRST: CREST / XING: CROSSING CRSSNG
XRD: CROSSROAD / XRDS: CROSSROADS / CURV: CURVE / DL: DALE / DM: DAM / DV: DIV DIVIDE DVD
DR: DRIV DRIVE DRV / DRS: DRIVES / EST: ESTATE / ESTS: ESTATES / EXPY: EXP EXPR EXPRESS EXPRESSWAY EXPW
EXT: EXTENSION EXTN EXTNSN / EXTS: EXTENSIONS / FLS: FALLS / FRY: FERRY FRRY / FLD: FIELD / FLDS: FIELDS
FLT: FLAT / FLTS: FLATS / FRD: FORD / FRDS: FORDS / FRST: FOREST FORESTS / FRG: FORG FORGE
FRGS: FORGES / FRK: FORK / FRKS: FORKS / FT: FORT FRT / FWY: FREEWAY FREEWY FRWAY FRWY
GDN: GARDEN GARDN GRDEN GRDN / GDNS: GARDENS GRDNS / GTWY: GATEWAY GATEWY GATWAY GTWAY / GLN: GLEN
GLNS: GLENS / GRN: GREEN / GRNS: GREENS / GRV: GROV GROVE / GRVS: GROVES / HBR: HARB HARBOR HARBR HRBOR
HBRS: HARBORS / HVN: HAVEN / HTS: HEIGHTS HT / HWY: HIGHWAY HIGHWY HIWAY HIWY HWAY / HL: HILL
HLS: HILLS / HOLW: HLLW HOLLOW HOLLOWS HOLWS / INLT: INLET / IS: ISLAND ISLND / ISS: ISLANDS ISLNDS
JCT: JCTION JCTN JUNCTION JUNCTN JUNCTON / JCTS: JCTNS JUNCTIONS / KNL: KNOL KNOLL / KNLS: KNOLLS
LK: LAKE / LKS: LAKES / LNDG: LANDING LNDNG / LN: LANE / LGT: LIGHT / LGTS: LIGHTS / LF: LOAF
LCK: LOCK / LCKS: LOCKS / LDG: LDGE LODG LODGE / LOOP: LOOPS / MNR: MANOR / MNRS: MANORS / MDW: MEADOW
MDWS: MEADOWS MEDOWS / ML: MILL / MLS: MILLS / MSN: MISSION MISSN MSSN / MTWY: MOTORWAY / MT: MNT MOUNT
MTN: MNTAIN MNTN MOUNTAIN MOUNTIN MTIN / MTNS: MOUNTAINS / NCK: NECK / ORCH: ORCHARD ORCHRD / OVAL: OVL
OPAS: OVERPASS / PARK: PRK PARKS / PKWY: PARKWAY PARKWY PKWAY PKY PARKWAYS PKWYS / PSGE: PASSAGE
PNE: PINE / PNES: PINES / PL: PLACE / PLN: PLAIN / PLNS: PLAINS / PLZ: PLAZA PLZA / PT: POINT
PTS: POINTS / PRT: PORT / PRTS: PORTS / PR: PRAIRIE PRR / RADL: RAD RADIAL RADIEL
RNCH: RANCH RANCHES RNCHS / RPD: RAPID / RPDS: RAPIDS / RST: REST / RDG: RDGE RIDGE / RDGS: RIDGES
RIV: RIVER RIVR RVR / RD: ROAD / RDS: ROADS / RTE: ROUTE / SHL: SHOAL / SHLS: SHOALS / SHR: SHOAR SHORE
SHRS: SHOARS SHORES / SKWY: SKYWAY / SPG: SPNG SPRING SPRNG / SPGS: SPNGS SPRINGS SPRNGS
SQ: SQR SQRE SQU SQUARE / SQS: SQRS SQUARES / STA: STATION STATN STN / STRA: STRAV STRAVENUE
STRM: STREAM STREME / ST: STREET STRT STR / STS: STREETS / SMT: SUMIT SUMITT SUMMIT / TER: TERR TERRACE
TRWY: THROUGHWAY / TRCE: TRACE TRACES / TRAK: TRACK TRACKS TRK TRKS / TRFY: TRAFFICWAY
TRL: TRAIL TRAILS TRLS / TUNL: TUNEL TUNLS TUNNEL TUNNELS TUNNL / TPKE: TRNPK TURNPIKE TURNPK
UPAS: UNDERPASS / UN: UNION / UNS: UNIONS / VLY: VALLEY VALLY VLLY / VLYS: VALLEYS
VIA: VDCT VIADCT VIADUCT / VW: VIEW / VWS: VIEWS / VLG: VILL VILLAG VILLAGE VILLG VILLIAGE
VLGS: VILLAGES / VL: VILLE / VIS: VIST VISTA VST VSTA / WAY: WY / WL: WELL / WLS: WELLS
"""


def _parse(spec: str) -> dict[str, str]:
    """"AVE: AV AVENUE / BLVD: BOULEVARD" -> {"AVE": "AV AVENUE", "BLVD": "BOULEVARD"}."""
    out: dict[str, str] = {}
    for entry in spec.replace("\n", " / ").split(" / "):
        if entry.strip():
            std, _, variants = entry.partition(":")
            out[std.strip()] = variants.strip()
    return out


_SUFFIXES: dict[str, str] = _parse(_SUFFIX_SPEC)

# Secondary unit designators (C2). The first set needs a unit number after it ("APT 4"); the second does not.
_UNITS: dict[str, str] = {
    "APT": "APARTMENT APPT", "BLDG": "BUILDING BLD BLDNG", "DEPT": "DEPARTMENT", "FL": "FLOOR FLR",
    "HNGR": "HANGAR HANGER", "LOT": "", "PIER": "", "RM": "ROOM", "SLIP": "", "SPC": "SPACE", "STOP": "",
    "STE": "SUITE", "TRLR": "TRAILER", "UNIT": "",
    "BSMT": "BASEMENT", "FRNT": "FRONT", "LBBY": "LOBBY", "LOWR": "LOWER", "OFC": "OFFICE", "PH": "PENTHOUSE",
    "REAR": "", "SIDE": "", "UPPR": "UPPER",
}
# "#" is the designator of a unit of unknown kind (street_tokens keeps it as written): it needs a number too.
UNITS_NEEDING_NUMBER: frozenset[str] = frozenset(
    ("#", "APT", "BLDG", "DEPT", "FL", "HNGR", "LOT", "PIER", "RM", "SLIP", "SPC", "STOP", "STE", "TRLR", "UNIT")
)

DIRECTIONALS: dict[str, str] = {
    "NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W",
    "NORTHEAST": "NE", "NORTHWEST": "NW", "SOUTHEAST": "SE", "SOUTHWEST": "SW",
}
_ORDINALS: dict[str, str] = {
    "FIRST": "1ST", "SECOND": "2ND", "THIRD": "3RD", "FOURTH": "4TH", "FIFTH": "5TH", "SIXTH": "6TH",
    "SEVENTH": "7TH", "EIGHTH": "8TH", "NINTH": "9TH", "TENTH": "10TH", "ELEVENTH": "11TH", "TWELFTH": "12TH",
}


def _invert(table: dict[str, str]) -> dict[str, str]:
    out = {std: std for std in table}
    for std, variants in table.items():
        for word in variants.split():
            out[word] = std
    return out


SUFFIX_ABBREVIATIONS: frozenset[str] = frozenset(_SUFFIXES)
UNIT_DESIGNATORS: frozenset[str] = frozenset(_UNITS)
# Word -> standard form, applied to every word of a street line (consistently on both sides of a match).
STREET_WORDS: dict[str, str] = {
    **_invert(_SUFFIXES), **_invert(_UNITS), **DIRECTIONALS, **_ORDINALS, "SAINT": "ST",
}
# Word -> standard form for city names ("SAINT LOUIS" == "ST LOUIS", "NORTH LAS VEGAS" == "N LAS VEGAS").
CITY_WORDS: dict[str, str] = {**DIRECTIONALS, "SAINT": "ST", "SAINTE": "STE", "FORT": "FT", "MOUNT": "MT"}

# USPS state and territory codes accepted in an address: 50 states, DC, territories, military.
STATE_NAMES: dict[str, str] = {
    "ALABAMA": "AL", "ALASKA": "AK", "ARIZONA": "AZ", "ARKANSAS": "AR", "CALIFORNIA": "CA", "COLORADO": "CO",
    "CONNECTICUT": "CT", "DELAWARE": "DE", "FLORIDA": "FL", "GEORGIA": "GA", "HAWAII": "HI", "IDAHO": "ID",
    "ILLINOIS": "IL", "INDIANA": "IN", "IOWA": "IA", "KANSAS": "KS", "KENTUCKY": "KY", "LOUISIANA": "LA",
    "MAINE": "ME", "MARYLAND": "MD", "MASSACHUSETTS": "MA", "MICHIGAN": "MI", "MINNESOTA": "MN",
    "MISSISSIPPI": "MS", "MISSOURI": "MO", "MONTANA": "MT", "NEBRASKA": "NE", "NEVADA": "NV",
    "NEW HAMPSHIRE": "NH", "NEW JERSEY": "NJ", "NEW MEXICO": "NM", "NEW YORK": "NY", "NORTH CAROLINA": "NC",
    "NORTH DAKOTA": "ND", "OHIO": "OH", "OKLAHOMA": "OK", "OREGON": "OR", "PENNSYLVANIA": "PA",
    "RHODE ISLAND": "RI", "SOUTH CAROLINA": "SC", "SOUTH DAKOTA": "SD", "TENNESSEE": "TN", "TEXAS": "TX",
    "UTAH": "UT", "VERMONT": "VT", "VIRGINIA": "VA", "WASHINGTON": "WA", "WEST VIRGINIA": "WV",
    "WISCONSIN": "WI", "WYOMING": "WY", "DISTRICT OF COLUMBIA": "DC", "PUERTO RICO": "PR",
    "VIRGIN ISLANDS": "VI", "GUAM": "GU", "AMERICAN SAMOA": "AS", "NORTHERN MARIANA ISLANDS": "MP",
}
STATE_CODES: frozenset[str] = frozenset(STATE_NAMES.values()) | {"AA", "AE", "AP"}
