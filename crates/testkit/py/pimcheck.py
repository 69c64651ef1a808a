#!/usr/bin/env python3
"""Independent read-back oracle for the vCard and iCalendar files mailshift
writes (called by `mailshift_testkit::pim::python_pim`).

Usage: pimcheck.py FILE   (.ics, or .vcf; other names are sniffed)

Prints one JSON object and exits 0, even when the file is bad: parse errors
are data, listed under "errors", so the Rust side can assert on them.

For .ics the file is read by BOTH `icalendar` and `vobject`:
  "icalendar": {"prodid", "version", "components": [component ...]}
  "vobject":   {"prodid", "version", "components": [component ...]}
  "occurrences":         {uid: {"local": [...], "utc": [...], "unmatched_recurrence_ids": [...]}}
                         (icalendar's values, expanded by dateutil.rrule)
  "vobject_occurrences": the same, from vobject's own getrruleset()
A component has the shape of the Rust `IcsComponent` (serde names), so the
two sides compare as JSON. Every TZID is resolved through the VTIMEZONE of
the same file (RFC 5545 3.2.19), never through the system zone database:
mailshift's TZIDs are Windows names ("W. Europe Standard Time"), and the
point is to check the VTIMEZONE we wrote. A TZID with no VTIMEZONE is an
error.

Occurrences are those starting in [DTSTART, DTSTART + 5 years): RRULE(s)
and RDATEs, less EXDATEs, less each override's RECURRENCE-ID instance, plus
the override's own DTSTART (RFC 5545 3.8.4.4, 3.8.5). "local" is ISO 8601
with the zone's offset ("2025-03-03T09:00:00+01:00"; a plain date for
all-day, no offset for floating times); "utc" is "2025-03-03T08:00:00Z"
(null for dates and floating times).

For .vcf the cards are read by `vobject` ("vobject": [card ...], each of
the shape of the Rust `VcfSummary`). vobject treats every card with its
vCard 3 rules; vCard 4 properties it does not know (KIND, MEMBER,
ANNIVERSARY) are plain content lines, read as such, and a 4.0 PHOTO data:
URI (which its 3.0 rules would split at the comma) is taken from the line
as vobject's own line parser reads it.
"""

import base64
import io
import json
import sys
import traceback
from datetime import date, datetime, timezone

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rruleset, rrulestr

YEARS = 5


# ------------------------------------------------------------------ shared

def iso_dt(d):
    return d.strftime("%Y-%m-%dT%H:%M:%S")


def utc_str(d):
    return iso_dt(d.astimezone(timezone.utc)) + "Z"


def local_str(d):
    if isinstance(d, datetime):
        s = iso_dt(d)
        off = d.utcoffset()
        if off is None:
            return s
        m = int(off.total_seconds() // 60)
        sign = "+" if m >= 0 else "-"
        m = abs(m)
        return f"{s}{sign}{m // 60:02d}:{m % 60:02d}"
    return d.isoformat()


def text(v):
    if v is None:
        return None
    if isinstance(v, list):
        return ",".join(text(x) for x in v)
    return str(v)


# ----------------------------------------------------------- iCalendar side

RULE_KEYS = ("FREQ", "INTERVAL", "COUNT", "UNTIL", "BYDAY", "BYMONTHDAY", "BYMONTH", "BYSETPOS", "WKST")


def date_shape(value, tzid):
    """The Rust `IcsDate` serde shape for a parsed date or date-time."""
    if isinstance(value, datetime):
        if tzid:
            return {"local": {"time": iso_dt(value), "tzid": tzid}}
        # vobject moves TZID into the tzinfo it built from the VTIMEZONE.
        zone_id = getattr(value.tzinfo, "_tzid", None)
        if zone_id:
            return {"local": {"time": iso_dt(value), "tzid": zone_id}}
        if value.tzinfo is not None and value.utcoffset() is not None and value.utcoffset().total_seconds() == 0:
            return {"utc": iso_dt(value)}
        if value.tzinfo is not None:
            return {"local": {"time": iso_dt(value), "tzid": str(value.tzinfo)}}
        return {"local": {"time": iso_dt(value), "tzid": None}}
    return {"date": value.isoformat()}


def rule_shape(text_value):
    """The Rust `IcsRule` shape from an RRULE value's text."""
    parts = {}
    for p in text_value.split(";"):
        if "=" in p:
            k, v = p.split("=", 1)
            parts[k.upper()] = v
    until = None
    if "UNTIL" in parts:
        u = parts["UNTIL"]
        if "T" in u:
            d = datetime.strptime(u.rstrip("Z"), "%Y%m%dT%H%M%S")
            until = {"utc": iso_dt(d)} if u.endswith("Z") else {"local": {"time": iso_dt(d), "tzid": None}}
        else:
            until = {"date": datetime.strptime(u, "%Y%m%d").date().isoformat()}
    ints = lambda k: [int(x) for x in parts[k].split(",")] if k in parts else []
    return {
        "freq": parts.get("FREQ"),
        "interval": int(parts.get("INTERVAL", "1")),
        "count": int(parts["COUNT"]) if "COUNT" in parts else None,
        "until": until,
        "by_day": parts["BYDAY"].split(",") if "BYDAY" in parts else [],
        "by_month_day": ints("BYMONTHDAY"),
        "by_month": ints("BYMONTH"),
        "by_set_pos": ints("BYSETPOS"),
        "wkst": parts.get("WKST"),
    }


def minutes(td):
    return int(td.total_seconds() // 60)


def ical_props(comp, name):
    """Every property `name` of an icalendar component, as a list."""
    v = comp.get(name)
    if v is None:
        return []
    return v if isinstance(v, list) else [v]


def ical_date(prop):
    return date_shape(prop.dt, prop.params.get("TZID"))


def ical_component(c):
    name = c.name
    get = lambda k: text(c[k]) if k in c else None
    def dates(k):
        out = []
        for p in ical_props(c, k):
            tzid = p.params.get("TZID")
            for d in p.dts:
                out.append(date_shape(d.dt, tzid))
        return out
    cats = []
    for p in ical_props(c, "CATEGORIES"):
        cats.extend(str(x) for x in p.cats)
    alarms = []
    for a in c.subcomponents:
        if a.name == "VALARM":
            trig = a.get("TRIGGER")
            alarms.append({"action": get_str(a, "ACTION"),
                           "trigger_minutes": minutes(trig.dt) if trig is not None and hasattr(trig.dt, "total_seconds") else None})
    observances = []
    if name == "VTIMEZONE":
        for o in c.subcomponents:
            observances.append({
                "kind": o.name,
                "dtstart": iso_dt(o["DTSTART"].dt),
                "offset_from": minutes(o["TZOFFSETFROM"].td),
                "offset_to": minutes(o["TZOFFSETTO"].td),
                "rrule": rule_shape(o["RRULE"].to_ical().decode()) if "RRULE" in o else None,
            })
    rr = ical_props(c, "RRULE")
    return {
        "kind": name,
        "uid": get("UID"),
        "tzid": get("TZID") if name == "VTIMEZONE" else None,
        "summary": get("SUMMARY"),
        "description": get("DESCRIPTION"),
        "location": get("LOCATION"),
        "dtstart": ical_date(c["DTSTART"]) if "DTSTART" in c else None,
        "dtend": ical_date(c["DTEND"]) if "DTEND" in c else None,
        "due": ical_date(c["DUE"]) if "DUE" in c else None,
        "recurrence_id": ical_date(c["RECURRENCE-ID"]) if "RECURRENCE-ID" in c else None,
        "rrule": rule_shape(rr[0].to_ical().decode()) if rr else None,
        "exdates": dates("EXDATE"),
        "rdates": dates("RDATE"),
        "categories": cats,
        "status": get("STATUS"),
        "alarms": alarms,
        "observances": observances,
    }


def get_str(c, k):
    return str(c[k]) if k in c else None


def vobject_component(c, vobject):
    name = c.name.upper()
    cont = c.contents
    def one(k):
        v = cont.get(k.lower())
        return None if not v else v[0]
    def val(k):
        p = one(k)
        return None if p is None else text(p.value)
    def vdate(k):
        p = one(k)
        if p is None:
            return None
        tzid = p.params.get("TZID", [None])[0]
        return date_shape(p.value, tzid)
    def dates(k):
        out = []
        for p in cont.get(k.lower(), []):
            tzid = p.params.get("TZID", [None])[0]
            vals = p.value if isinstance(p.value, list) else [p.value]
            out.extend(date_shape(d, tzid) for d in vals)
        return out
    cats = []
    for p in cont.get("categories", []):
        cats.extend(p.value if isinstance(p.value, list) else [p.value])
    alarms = []
    for a in cont.get("valarm", []):
        t = a.contents.get("trigger")
        tv = t[0].value if t else None
        alarms.append({"action": text(a.action.value) if "action" in a.contents else None,
                       "trigger_minutes": minutes(tv) if hasattr(tv, "total_seconds") else None})
    observances = []
    if name == "VTIMEZONE":
        for o in c.getChildren():
            if o.name.upper() not in ("STANDARD", "DAYLIGHT"):
                continue
            oc = o.contents
            def off(k):
                s = oc[k][0].value
                m = int(s[1:3]) * 60 + int(s[3:5])
                return -m if s[0] == "-" else m
            observances.append({
                "kind": o.name.upper(),
                "dtstart": iso_dt(oc["dtstart"][0].value),
                "offset_from": off("tzoffsetfrom"),
                "offset_to": off("tzoffsetto"),
                "rrule": rule_shape(oc["rrule"][0].value) if "rrule" in oc else None,
            })
    rr = one("RRULE")
    return {
        "kind": name,
        "uid": val("UID"),
        "tzid": val("TZID") if name == "VTIMEZONE" else None,
        "summary": val("SUMMARY"),
        "description": val("DESCRIPTION"),
        "location": val("LOCATION"),
        "dtstart": vdate("DTSTART"),
        "dtend": vdate("DTEND"),
        "due": vdate("DUE"),
        "recurrence_id": vdate("RECURRENCE-ID"),
        "rrule": rule_shape(rr.value) if rr is not None else None,
        "exdates": dates("EXDATE"),
        "rdates": dates("RDATE"),
        "categories": [str(x) for x in cats],
        "status": val("STATUS"),
        "alarms": alarms,
        "observances": observances,
    }


def window_list(starts, start):
    end = start + relativedelta(years=YEARS)
    return sorted((d for d in starts if start <= d < end), key=sort_key)


def sort_key(d):
    if isinstance(d, datetime) and d.tzinfo is not None:
        return d.astimezone(timezone.utc).replace(tzinfo=None)
    if isinstance(d, datetime):
        return d
    return datetime(d.year, d.month, d.day)


def as_dt(d):
    """dateutil works on datetimes; a DATE is its midnight."""
    return d if isinstance(d, datetime) else datetime(d.year, d.month, d.day)


def shape_occurrences(occ, all_day, unmatched):
    if all_day:
        return {"local": [d.date().isoformat() for d in occ], "utc": [None for _ in occ],
                "unmatched_recurrence_ids": unmatched}
    return {"local": [local_str(d) for d in occ],
            "utc": [utc_str(d) if d.tzinfo is not None else None for d in occ],
            "unmatched_recurrence_ids": unmatched}


def expand(master, overrides, rules, resolve_one, resolve_many):
    """Occurrence starts of one recurring master.

    `resolve_one(comp, name)` gives a property's datetime (or date) with its
    zone attached, `resolve_many(comp, name)` every value of a repeatable
    property; `rules` are the RRULE texts."""
    start = resolve_one(master, "DTSTART")
    all_day = not isinstance(start, datetime)
    start = as_dt(start)
    rs = rruleset()
    for r in rules:
        rs.rrule(rrulestr(r, dtstart=start))
    for d in resolve_many(master, "RDATE"):
        rs.rdate(as_dt(d))
    for d in resolve_many(master, "EXDATE"):
        rs.exdate(as_dt(d))
    end = start + relativedelta(years=YEARS)
    base = [d for d in rs.between(start, end, inc=True) if d < end]
    # Overrides: their RECURRENCE-ID instance goes, their own start comes.
    occ = list(base)
    unmatched = []
    for o in overrides:
        rid = as_dt(resolve_one(o, "RECURRENCE-ID"))
        hit = [d for d in occ if d == rid]
        if not hit:
            unmatched.append(local_str(rid.date() if all_day else rid))
        occ = [d for d in occ if d != rid]
        occ.append(as_dt(resolve_one(o, "DTSTART")))
    return shape_occurrences(window_list(occ, start), all_day, unmatched)


def check_ics(path, data, out):
    import icalendar
    errors = out["errors"]
    # ---- icalendar
    try:
        cal = icalendar.Calendar.from_ical(data)
    except Exception as e:  # noqa: BLE001 - any failure is a finding
        errors.append(f"icalendar: {type(e).__name__}: {e}")
        cal = None
    if cal is not None:
        for c in cal.walk():
            for e in getattr(c, "errors", []):
                errors.append(f"icalendar: {c.name}: {e}")
        if cal.name != "VCALENDAR":
            errors.append(f"icalendar: top component is {cal.name}")
        comps = [c for c in cal.subcomponents if c.name in ("VEVENT", "VTODO", "VJOURNAL", "VTIMEZONE")]
        out["icalendar"] = {"prodid": get_str(cal, "PRODID"), "version": get_str(cal, "VERSION"),
                            "components": [ical_component(c) for c in comps]}
        tzs = {}
        for tz in cal.walk("VTIMEZONE"):
            tzs[str(tz["TZID"])] = tz.to_tz(lookup_tzid=False)

        def attach(d, tzid):
            if isinstance(d, datetime) and tzid:
                if tzid not in tzs:
                    errors.append(f"icalendar: TZID {tzid!r} has no VTIMEZONE in the file")
                    return d
                return d.replace(tzinfo=None).replace(tzinfo=tzs[tzid])
            return d

        def resolve_one(c, name):
            p = c[name]
            return attach(p.dt, p.params.get("TZID"))

        def resolve_many(c, name):
            return [attach(d.dt, p.params.get("TZID")) for p in ical_props(c, name) for d in p.dts]

        # Check that every zoned value anywhere names a VTIMEZONE of the file.
        for c in comps:
            for k in ("DTSTART", "DTEND", "DUE", "RECURRENCE-ID"):
                if k in c:
                    resolve_one(c, k)
        out["occurrences"] = {}
        events = [c for c in comps if c.name in ("VEVENT", "VTODO")]
        for m in events:
            if "RECURRENCE-ID" in m or ("RRULE" not in m and "RDATE" not in m) or "DTSTART" not in m:
                continue
            uid = str(m["UID"])
            ovr = [o for o in events if "RECURRENCE-ID" in o and str(o.get("UID")) == uid]
            rules = [r.to_ical().decode() for r in ical_props(m, "RRULE")]
            try:
                out["occurrences"][uid] = expand(m, ovr, rules, resolve_one, resolve_many)
            except Exception as e:  # noqa: BLE001
                errors.append(f"dateutil expanding {uid}: {type(e).__name__}: {e}")
    # ---- vobject
    import vobject
    try:
        cals = list(vobject.readComponents(data.decode("utf-8"), validate=True))
    except Exception as e:  # noqa: BLE001
        errors.append(f"vobject: {type(e).__name__}: {e}")
        return
    if len(cals) != 1 or cals[0].name.upper() != "VCALENDAR":
        errors.append(f"vobject: expected one VCALENDAR, read {[c.name for c in cals]}")
        return
    vcal = cals[0]
    comps = [c for c in vcal.getChildren() if c.name.upper() in ("VEVENT", "VTODO", "VJOURNAL", "VTIMEZONE")]
    def vget(k):
        v = vcal.contents.get(k)
        return None if not v else str(v[0].value)
    out["vobject"] = {"prodid": vget("prodid"), "version": vget("version"),
                      "components": [vobject_component(c, vobject) for c in comps]}

    def vresolve_one(c, name):
        return c.contents[name.lower()][0].value

    def vresolve_many(c, name):
        vals = []
        for p in c.contents.get(name.lower(), []):
            vals.extend(p.value if isinstance(p.value, list) else [p.value])
        return vals

    out["vobject_occurrences"] = {}
    events = [c for c in comps if c.name.upper() in ("VEVENT", "VTODO")]
    for m in events:
        mc = m.contents
        if "recurrence-id" in mc or ("rrule" not in mc and "rdate" not in mc) or "dtstart" not in mc:
            continue
        uid = mc["uid"][0].value
        ovr = [o for o in events if "recurrence-id" in o.contents and o.contents["uid"][0].value == uid]
        try:
            # vobject's own rule set (RRULE, RDATE, EXDATE with its zones).
            rs = m.getrruleset(addRDate=True)
            start = as_dt(m.dtstart.value)
            all_day = not isinstance(m.dtstart.value, datetime)
            end = start + relativedelta(years=YEARS)
            occ = [d for d in rs.between(start, end, inc=True) if d < end]
            unmatched = []
            for o in ovr:
                rid = as_dt(vresolve_one(o, "RECURRENCE-ID"))
                if rid not in occ:
                    unmatched.append(local_str(rid.date() if all_day else rid))
                occ = [d for d in occ if d != rid]
                occ.append(as_dt(vresolve_one(o, "DTSTART")))
            out["vobject_occurrences"][uid] = shape_occurrences(window_list(occ, start), all_day, unmatched)
        except Exception as e:  # noqa: BLE001
            errors.append(f"vobject expanding {uid}: {type(e).__name__}: {e}")


# --------------------------------------------------------------- vCard side

def lower_types(p):
    """TYPE tokens, lower-case, PREF (3.0's way of saying preferred) apart."""
    toks = []
    for t in p.params.get("TYPE", []):
        toks.extend(x.strip().lower() for x in t.split(",") if x.strip())
    pref = "pref" in toks or any(v == "1" for v in p.params.get("PREF", []))
    return [t for t in toks if t != "pref"], pref


def typed(p):
    types, pref = lower_types(p)
    cn = p.params.get("X-CN")
    return {"value": text(p.value), "types": types, "pref": pref, "cn": cn[0] if cn else None}


def iso_date(s):
    s = s.strip()
    if len(s) == 8 and s.isdigit():
        return f"{s[0:4]}-{s[4:6]}-{s[6:8]}"
    return s


def vobject_card(card, raw_lines, vobject):
    c = card.contents
    def vals(k):
        return [p.value for p in c.get(k, [])]
    def first(k):
        v = vals(k)
        return None if not v else text(v[0])
    version = first("version")
    n = None
    if "n" in c:
        nv = c["n"][0].value
        n = [text(nv.family), text(nv.given), text(nv.additional), text(nv.prefix), text(nv.suffix)]
    adrs = []
    for p in c.get("adr", []):
        a = p.value
        types, pref = lower_types(p)
        adrs.append({"types": types, "pref": pref,
                     "parts": [text(a.box), text(a.extended), text(a.street), text(a.city), text(a.region),
                               text(a.code), text(a.country)]})
    org = []
    for v in vals("org"):
        org.extend(v if isinstance(v, list) else [v])
    cats = []
    for v in vals("categories"):
        cats.extend(v if isinstance(v, list) else [v])
    photo = None
    if "photo" in c:
        p = c["photo"][0]
        ref = p.params.get("VALUE", [""])[0].lower() == "uri" or str(p.value).startswith(("http:", "https:"))
        if ref:
            # A photo by reference (Google's export): nothing inline.
            photo = {"media_type": None, "data": []}
        elif version == "3.0":
            # vobject decoded ENCODING=b itself; TYPE is the image subtype.
            sub = (p.params.get("TYPE", ["jpeg"])[0]).lower()
            data = p.value if isinstance(p.value, bytes) else base64.b64decode(p.value)
            photo = {"media_type": f"image/{sub}", "data": list(data)}
        else:
            uri = next((v for (name, v) in raw_lines if name == "PHOTO"), "")
            if uri.startswith("data:") and ";base64," in uri:
                head, b64 = uri[5:].split(";base64,", 1)
                photo = {"media_type": head, "data": list(base64.b64decode(b64))}
            else:
                photo = {"media_type": None, "data": []}
    members = [typed(p) for p in c.get("member", []) + c.get("x-addressbookserver-member", [])]
    kind = first("kind") or first("x-addressbookserver-kind")
    anniversary = first("anniversary") or first("x-anniversary")
    bday = first("bday")
    return {
        "version": version,
        "uid": first("uid"),
        "kind": kind,
        "full_name": first("fn"),
        "n": n,
        "nicknames": [text(v) for v in vals("nickname")],
        "emails": [typed(p) for p in c.get("email", [])],
        "tels": [typed(p) for p in c.get("tel", [])],
        "adrs": adrs,
        "org": [str(x) for x in org],
        "title": first("title"),
        "bday": iso_date(bday) if bday else None,
        "anniversary": iso_date(anniversary) if anniversary else None,
        "categories": [str(x) for x in cats],
        "note": first("note"),
        "urls": [text(v) for v in vals("url")],
        "impps": [text(v) for v in vals("impp")],
        "photo": photo,
        "members": members,
    }


def check_vcf(path, data, out):
    import vobject
    errors = out["errors"]
    textdata = data.decode("utf-8")
    try:
        cards = list(vobject.readComponents(textdata, validate=True))
    except Exception as e:  # noqa: BLE001
        errors.append(f"vobject: {type(e).__name__}: {e}")
        return
    # Raw logical lines per card, as vobject's own line parser reads them.
    raw_cards = []
    cur = None
    for line, _n in vobject.base.getLogicalLines(io.StringIO(textdata)):
        name, params, value, group = vobject.base.parseLine(line)
        name = name.upper()
        if name == "BEGIN" and value.upper() == "VCARD":
            cur = []
            raw_cards.append(cur)
        elif cur is not None:
            cur.append((name, value))
    if len(raw_cards) != len(cards):
        errors.append(f"vobject: {len(cards)} cards but {len(raw_cards)} BEGIN:VCARD lines")
    out["vobject"] = []
    for i, card in enumerate(cards):
        if card.name.upper() != "VCARD":
            errors.append(f"vobject: component {card.name} is no VCARD")
            continue
        out["vobject"].append(vobject_card(card, raw_cards[i] if i < len(raw_cards) else [], vobject))


def main():
    path = sys.argv[1]
    data = open(path, "rb").read()
    lower = path.lower()
    is_ics = lower.endswith(".ics") or (not lower.endswith(".vcf") and b"BEGIN:VCALENDAR" in data[:200].upper())
    out = {"kind": "ics" if is_ics else "vcf", "errors": []}
    try:
        if is_ics:
            check_ics(path, data, out)
        else:
            check_vcf(path, data, out)
    except Exception as e:  # noqa: BLE001 - report, do not crash
        out["errors"].append(f"pimcheck: {type(e).__name__}: {e}: {traceback.format_exc()}")
    print(json.dumps(out, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
