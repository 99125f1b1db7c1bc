#!/usr/bin/env python3
"""Builds core/audit/rules/catalog.json: the rule catalog (tests/fixtures/arr/rules.json,
copied verbatim) joined with the logic below, written in the expression language of
docs/rules.md. Run it after changing either; the JSON it writes is what the host loads
and what maintainers review. Usage: tools/build_rules.py"""
import json
import os

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CATALOG = os.path.join(ROOT, "tests/fixtures/arr/rules.json")
OUT = os.path.join(ROOT, "core/audit/rules/catalog.json")
REDACTED = "**redacted**"
PLACEHOLDERS = ["testkey", "changeme", "change_me", "apikey", "api_key", "password", "secret", "12345678",
                "1234567890", "abcdef", "sabnzbd", "sonarr", "radarr", "00000000000000000000000000000000"]

# -- expression helpers ---------------------------------------------------------------
def op(name, *args): return {name: list(args)}
def one(name, a): return {name: a}
def AND(*a): return op("and", *a)
def OR(*a): return op("or", *a)
def NOT(a): return one("not", a)
def ON(a): return one("on", a)
def OFF(a): return one("off", a)
def EMPTY(a): return one("empty", a)
def EXISTS(a): return one("exists", a)
def EQ(a, b): return op("eq", a, b)
def NE(a, b): return op("ne", a, b)
def LT(a, b): return op("lt", a, b)
def LE(a, b): return op("le", a, b)
def GT(a, b): return op("gt", a, b)
def GE(a, b): return op("ge", a, b)
def IN(a, b): return op("in", a, b)
def CONTAINS(a, b): return op("contains", a, b)
def MATCH(a, rx): return op("matches", a, rx)
def LOWER(a): return one("lower", a)
def LEN(a): return one("len", a)
def ANY(lst, v, c): return op("any", lst, v, c)
def COUNT(lst, v, c): return op("count", lst, v, c)
def FILTER(lst, v, c): return op("filter", lst, v, c)
def MAP(lst, v, e): return op("map", lst, v, e)
def FIND(lst, v, c): return op("find", lst, v, c)
def SUM(a): return one("sum", a)
def LET(b, body): return op("let", b, body)
def FIELD(fields, name): return op("field", fields, name)
def COALESCE(*a): return op("coalesce", *a)
def IF(c, a, b): return op("if", c, a, b)
def LIT(v): return {"lit": v}

M = "$sab.misc"
def m(k): return f"{M}.{k}"
A = "$app"
def a(path): return f"{A}.{path}"
WORLD_WRITABLE = "^0?[0-7]{0,2}[2367]$"

rules = []
def rule(id_, when, current=None):
    r = {"id": id_, "when": when}
    if current is not None: r["current"] = current
    rules.append(r)
def both(son, rad, when, current=None):
    r = {"ids": {"sonarr": son, "radarr": rad}, "when": when}
    if current is not None: r["current"] = current
    rules.append(r)

# ---------------------------------------------------------------- SABnzbd
def enabled_servers(cond): return ANY("$sab.servers", "s", AND(ON("$s.enable"), cond))
def names_of_servers(cond): return MAP(FILTER("$sab.servers", "s", AND(ON("$s.enable"), cond)), "s", "$s.name")
no_login = OR(EMPTY(m("username")), EMPTY(m("password")))

rule("SAB-SEC-01", AND(GE(m("inet_exposure"), 4), no_login), m("inet_exposure"))
rule("SAB-SEC-02", AND(LT(m("inet_exposure"), 4), no_login), m("username"))
rule("SAB-SEC-03", AND(GE(m("inet_exposure"), 1), NOT(ON(m("enable_https")))), m("enable_https"))
rule("SAB-SEC-04", OFF(m("enable_https_verification")), m("enable_https_verification"))
rule("SAB-SEC-05", enabled_servers(NOT(ON("$s.ssl"))), names_of_servers(NOT(ON("$s.ssl"))))
rule("SAB-SEC-06", enabled_servers(AND(ON("$s.ssl"), LT("$s.ssl_verify", 2))),
     names_of_servers(AND(ON("$s.ssl"), LT("$s.ssl_verify", 2))))
rule("SAB-SEC-07", ON(m("allow_old_ssl_tls")), m("allow_old_ssl_tls"))
rule("SAB-SEC-08", OFF(m("verify_xff_header")), m("verify_xff_header"))
rule("SAB-SEC-09", OR(AND(EQ(m("unwanted_extensions_mode"), 0), EMPTY(m("unwanted_extensions"))),
                      EQ(m("action_on_unwanted_extensions"), 0)), m("unwanted_extensions"))
rule("SAB-SEC-10", MATCH(m("permissions"), WORLD_WRITABLE), m("permissions"))
rule("SAB-SEC-11", AND(EXISTS(m("api_key")), NE(m("api_key"), REDACTED),
                       OR(NOT(MATCH(m("api_key"), "^[0-9a-fA-F]{32}$")), IN(LOWER(m("api_key")), PLACEHOLDERS),
                          EQ(m("api_key"), m("nzb_key")))), LIT("api_key (value withheld)"))
rule("SAB-PERF-01", OR(EMPTY(m("cache_limit")), LT(one("size", m("cache_limit")), 256 * 1024 * 1024)), m("cache_limit"))
rule("SAB-PERF-02", EMPTY(m("bandwidth_max")), m("bandwidth_max"))
rule("SAB-PERF-03", ON(m("pre_check")), m("pre_check"))
rule("SAB-PERF-04", ON(m("enable_all_par")), m("enable_all_par"))
rule("SAB-PERF-05", OFF(m("direct_unpack")), m("direct_unpack"))
rule("SAB-PERF-06", ON(m("auto_sort")), m("auto_sort"))
rule("SAB-PERF-07", enabled_servers(GT("$s.connections", 50)), names_of_servers(GT("$s.connections", 50)))
rule("SAB-PERF-08", EQ("$sab.logging.log_level", 2), "$sab.logging.log_level")
rule("SAB-REL-01", OFF(m("safe_postproc")), m("safe_postproc"))
rule("SAB-REL-02", OFF(m("fail_hopeless_jobs")), m("fail_hopeless_jobs"))
rule("SAB-REL-03", IN(m("pause_on_pwrar"), [0, 1]), m("pause_on_pwrar"))
rule("SAB-REL-04", OR(EQ(m("no_dupes"), 1), EQ(m("no_smart_dupes"), 1)), m("no_dupes"))
rule("SAB-REL-05", OR(IN(m("history_retention_option"), ["number-archive", "number-delete", "all-archive", "all-delete"]),
                      AND(IN(m("history_retention_option"), ["days-archive", "days-delete"]),
                          LT(m("history_retention_number"), 14))), m("history_retention_option"))
rule("SAB-REL-06", AND(EXISTS("$sab.servers"), NOT(ANY("$sab.servers", "s", ON("$s.enable")))), "$sab.servers")
rule("SAB-REL-07", enabled_servers(AND(NOT(EMPTY("$s.expire_date")), one("before_today", "$s.expire_date"))),
     MAP(FILTER("$sab.servers", "s", AND(ON("$s.enable"), NOT(EMPTY("$s.expire_date")),
                                         one("before_today", "$s.expire_date"))), "s", "$s.expire_date"))
enabled = FILTER("$sab.servers", "s", ON("$s.enable"))
rule("SAB-REL-08", AND(GE(COUNT("$sab.servers", "s", ON("$s.enable")), 2),
                       EQ(LEN(one("distinct", MAP(enabled, "s", "$s.priority"))), 1)),
     MAP(enabled, "s", "$s.priority"))
rule("SAB-REL-09", enabled_servers(EQ("$s.retention", 0)), names_of_servers(EQ("$s.retention", 0)))
rule("SAB-REL-10", EQ(m("propagation_delay"), 0), m("propagation_delay"))
rule("SAB-REL-11", ANY("$sab.sorters", "s", ON("$s.is_active")),
     MAP(FILTER("$sab.sorters", "s", ON("$s.is_active")), "s", "$s.name"))
rule("SAB-Q-01", ON(m("ignore_samples")), m("ignore_samples"))
rule("SAB-Q-02", OFF(m("deobfuscate_final_filenames")), m("deobfuscate_final_filenames"))
rule("SAB-Q-03", OFF(m("flat_unpack")), m("flat_unpack"))
rule("SAB-Q-04", OFF(m("enable_recursive")), m("enable_recursive"))
rule("SAB-STO-01", AND(one("abs", m("download_dir")), one("abs", m("complete_dir")),
                       NE(one("top", m("download_dir")), one("top", m("complete_dir")))),
     [m("download_dir"), m("complete_dir")])
rule("SAB-STO-02", OR(AND(NOT(EMPTY(m("download_dir"))), NOT(one("abs", m("download_dir")))),
                      AND(NOT(EMPTY(m("complete_dir"))), NOT(one("abs", m("complete_dir"))))),
     [m("download_dir"), m("complete_dir")])
rule("SAB-STO-03", EMPTY(m("download_free")), m("download_free"))
rule("SAB-STO-04", EMPTY(m("complete_free")), m("complete_free"))
rule("SAB-STO-05", EMPTY(m("nzb_backup_dir")), m("nzb_backup_dir"))
outside = AND(one("abs", "$c.dir"),
              NOT(op("inside", op("sab_cat_path", m("complete_dir"), "$c.dir"), m("complete_dir"))))
rule("SAB-STO-06", ANY("$sab.categories", "c", outside),
     MAP(FILTER("$sab.categories", "c", outside), "c", "$c.dir"))
rule("SAB-VER-01", LT(one("major", "$sabver"), 4), "$sabver")

# ---------------------------------------------------------------- Sonarr / Radarr (shared logic)
H = lambda k: a(f"config_host.{k}")
MM = lambda k: a(f"config_mediamanagement.{k}")
DC = lambda k: a(f"config_downloadclient.{k}")
key_bad = AND(EXISTS(H("apiKey")), NE(H("apiKey"), REDACTED),
              OR(LT(LEN(H("apiKey")), 20), IN(LOWER(H("apiKey")), PLACEHOLDERS)))
both("SON-SEC-01", "RAD-SEC-01", EQ(H("authenticationMethod"), "none"), H("authenticationMethod"))
both("SON-SEC-02", "RAD-SEC-02", EQ(H("authenticationMethod"), "external"), H("authenticationMethod"))
rules.append({"ids": {"sonarr": "SON-SEC-03"}, "when": EQ(H("authenticationMethod"), "basic"),
              "current": H("authenticationMethod")})
both("SON-SEC-04", "RAD-SEC-04", EQ(H("authenticationRequired"), "disabledForLocalAddresses"),
     H("authenticationRequired"))
both("SON-SEC-05", "RAD-SEC-05", key_bad, LIT("apiKey (value withheld)"))
both("SON-SEC-06", "RAD-SEC-06", EQ(H("certificateValidation"), "disabled"), H("certificateValidation"))
both("SON-SEC-07", "RAD-SEC-07", AND(ON(MM("setPermissionsLinux")), MATCH(MM("chmodFolder"), WORLD_WRITABLE)),
     MM("chmodFolder"))
RISKY = "(^|[,;\\s.])(exe|bat|cmd|com|scr|ps1|sh|vbs|js|jar|msi|dll|lnk|url|desktop|app)(?=$|[,;\\s])"
both("SON-SEC-08", "RAD-SEC-08", AND(ON(MM("importExtraFiles")), MATCH(LOWER(MM("extraFileExtensions")), RISKY)),
     MM("extraFileExtensions"))
both("SON-REL-01", "RAD-REL-01", OFF(DC("enableCompletedDownloadHandling")), DC("enableCompletedDownloadHandling"))
both("SON-REL-02", "RAD-REL-02", OFF(DC("autoRedownloadFailed")), DC("autoRedownloadFailed"))
both("SON-REL-03", "RAD-REL-03",
     AND(EXISTS(a("downloadclient")), NOT(ANY(a("downloadclient"), "c", AND(ON("$c.enable"), EQ("$c.protocol", "usenet"))))),
     MAP(a("downloadclient"), "c", "$c.name"))
sab_clients = lambda cond: ANY(a("downloadclient"), "c", AND(EQ("$c.implementation", "Sabnzbd"), cond))
sab_client_names = lambda cond: MAP(FILTER(a("downloadclient"), "c", AND(EQ("$c.implementation", "Sabnzbd"), cond)),
                                    "c", "$c.name")
both("SON-REL-04", "RAD-REL-04", sab_clients(OFF("$c.removeFailedDownloads")),
     sab_client_names(OFF("$c.removeFailedDownloads")))
both("SON-STO-05", "RAD-STO-05", sab_clients(OFF("$c.removeCompletedDownloads")),
     sab_client_names(OFF("$c.removeCompletedDownloads")))
rules.append({"ids": {"sonarr": "SON-REL-06"}, "when": AND(EXISTS(H("branch")), NE(LOWER(H("branch")), "main")),
              "current": H("branch")})
rules.append({"ids": {"radarr": "RAD-REL-06"}, "when": AND(EXISTS(H("branch")), NE(LOWER(H("branch")), "master")),
              "current": H("branch")})
both("SON-REL-07", "RAD-REL-07", ANY(a("rootfolder"), "r", OFF("$r.accessible")),
     MAP(FILTER(a("rootfolder"), "r", OFF("$r.accessible")), "r", "$r.path"))
low_space = AND(ON("$r.accessible"), LT("$r.freeSpace", 50 * 1024 ** 3))
both("SON-STO-06", "RAD-STO-06", ANY(a("rootfolder"), "r", low_space),
     MAP(FILTER(a("rootfolder"), "r", low_space), "r", "$r.freeSpace"))
both("SON-PERF-01", "RAD-PERF-01", EQ(LOWER(H("logLevel")), "trace"), H("logLevel"))
both("SON-REL-10", "RAD-REL-10", LT(H("backupRetention"), 14), H("backupRetention"))
both("SON-REL-11", "RAD-REL-11", EQ(MM("rescanAfterRefresh"), "never"), MM("rescanAfterRefresh"))
both("SON-REL-12", "RAD-REL-12", AND(ON(H("proxyEnabled")), OFF(H("proxyBypassLocalAddresses"))),
     H("proxyBypassLocalAddresses"))
rules.append({"ids": {"radarr": "RAD-PERF-02"}, "when": GT(DC("checkForFinishedDownloadInterval"), 1),
              "current": DC("checkForFinishedDownloadInterval")})
rules.append({"ids": {"sonarr": "SON-REL-14"}, "when": LT(one("major", a("system_status.version")), 4),
              "current": a("system_status.version")})
rules.append({"ids": {"radarr": "RAD-REL-14"}, "when": LT(one("major", a("system_status.version")), 5),
              "current": a("system_status.version")})
both("SON-STO-01", "RAD-STO-01", OFF(MM("copyUsingHardlinks")), MM("copyUsingHardlinks"))
both("SON-STO-02", "RAD-STO-02", ON(MM("skipFreeSpaceCheckWhenImporting")), MM("skipFreeSpaceCheckWhenImporting"))
both("SON-STO-03", "RAD-STO-03", AND(NOT(EMPTY(MM("recycleBin"))), EQ(MM("recycleBinCleanupDays"), 0)),
     MM("recycleBinCleanupDays"))
both("SON-STO-04", "RAD-STO-04", AND(NOT(EMPTY(MM("recycleBin"))),
                                    ANY(a("rootfolder"), "r", op("inside", MM("recycleBin"), "$r.path"))),
     MM("recycleBin"))
both("SON-Q-01", "RAD-Q-01", OFF(MM("enableMediaInfo")), MM("enableMediaInfo"))
both("SON-Q-02", "RAD-Q-02", AND(EXISTS(MM("downloadPropersAndRepacks")), NE(MM("downloadPropersAndRepacks"), "doNotPrefer")),
     MM("downloadPropersAndRepacks"))
rules.append({"ids": {"sonarr": "SON-Q-03"}, "when": OFF(a("config_naming.renameEpisodes")),
              "current": a("config_naming.renameEpisodes")})
rules.append({"ids": {"radarr": "RAD-Q-03"}, "when": OFF(a("config_naming.renameMovies")),
              "current": a("config_naming.renameMovies")})
def lacks_tokens(fmt):
    return AND(EXISTS(fmt), OR(NOT(MATCH(fmt, "Quality (Full|Title)")), NOT(MATCH(fmt, "Release ?Group"))))
rules.append({"ids": {"sonarr": "SON-Q-04"}, "when": lacks_tokens(a("config_naming.standardEpisodeFormat")),
              "current": a("config_naming.standardEpisodeFormat")})
rules.append({"ids": {"radarr": "RAD-Q-04"}, "when": lacks_tokens(a("config_naming.standardMovieFormat")),
              "current": a("config_naming.standardMovieFormat")})
rules.append({"ids": {"sonarr": "SON-Q-05"},
              "when": AND(EXISTS(a("config_naming.seasonFolderFormat")),
                          NE(a("config_naming.seasonFolderFormat"), "Season {season:00}")),
              "current": a("config_naming.seasonFolderFormat")})
rules.append({"ids": {"sonarr": "SON-Q-06"}, "when": AND(EXISTS(a("config_naming.multiEpisodeStyle")),
                                                         NE(a("config_naming.multiEpisodeStyle"), 5)),
              "current": a("config_naming.multiEpisodeStyle")})
rules.append({"ids": {"sonarr": "SON-Q-07"}, "when": AND(EXISTS(a("config_naming.seriesFolderFormat")),
                                                         NOT(MATCH(a("config_naming.seriesFolderFormat"), "Year"))),
              "current": a("config_naming.seriesFolderFormat")})
rules.append({"ids": {"radarr": "RAD-Q-07"}, "when": AND(EXISTS(a("config_naming.movieFolderFormat")),
                                                         NOT(MATCH(a("config_naming.movieFolderFormat"), "Year"))),
              "current": a("config_naming.movieFolderFormat")})
rules.append({"ids": {"radarr": "RAD-Q-08"},
              "when": MATCH(LOWER(a("config_naming.movieFolderFormat")),
                            "quality|release ?group|edition|mediainfo|custom ?format"),
              "current": a("config_naming.movieFolderFormat")})

QP = a("qualityprofile")
def allows(names):
    """Profile $p allows a quality named in `names`, directly or inside an allowed group."""
    return ANY("$p.items", "i", OR(AND(ON("$i.allowed"), IN("$i.quality.name", names)),
                                   AND(ON("$i.allowed"), ANY("$i.items", "j", IN("$j.quality.name", names)))))
def profiles(cond): return ANY(QP, "p", cond)
def profile_names(cond): return MAP(FILTER(QP, "p", cond), "p", "$p.name")
positive = FILTER("$p.formatItems", "f", GT("$f.score", 0))
qp01 = allows(["Unknown"])
both("SON-QP-01", "RAD-QP-01", profiles(qp01), profile_names(qp01))
qp02 = NOT(ANY("$p.formatItems", "f", NE("$f.score", 0)))
both("SON-QP-02", "RAD-QP-02", profiles(qp02), profile_names(qp02))
qp03 = AND(ON("$p.upgradeAllowed"), LE("$p.cutoffFormatScore", 0), ANY("$p.formatItems", "f", GT("$f.score", 0)))
both("SON-QP-03", "RAD-QP-03", profiles(qp03), profile_names(qp03))
qp04 = GT("$p.minFormatScore", SUM(MAP(positive, "f", "$f.score")))
both("SON-QP-04", "RAD-QP-04", profiles(qp04), profile_names(qp04))
qp05 = OFF("$p.upgradeAllowed")
both("SON-QP-05", "RAD-QP-05", profiles(qp05), profile_names(qp05))
pre = allows(["CAM", "TELESYNC", "TELECINE", "WORKPRINT", "DVDSCR", "REGIONAL"])
rules.append({"ids": {"radarr": "RAD-QP-06"}, "when": profiles(pre), "current": profile_names(pre)})
brdisk = allows(["BR-DISK"])
rules.append({"ids": {"radarr": "RAD-QP-07"}, "when": profiles(brdisk), "current": profile_names(brdisk)})
qp08 = AND(ANY("$p.formatItems", "f", GT("$f.score", 0)), NOT(ANY("$p.formatItems", "f", LE("$f.score", -1000))))
both("SON-QP-08", "RAD-QP-08", profiles(qp08), profile_names(qp08))

# ---------------------------------------------------------------- cross-application
def for_sab_clients(cond):
    """Some Sonarr/Radarr SABnzbd client $c (of app $x) meets cond; $cat is its category."""
    return ANY("$arrs", "x", ANY("$x.docs.downloadclient", "c",
                                 AND(EQ("$c.implementation", "Sabnzbd"),
                                     LET({"cat": COALESCE(FIELD("$c.fields", "tvCategory"),
                                                          FIELD("$c.fields", "movieCategory"))}, cond))))
def sab_clients_where(cond):
    return MAP(FILTER("$arrs", "x", ANY("$x.docs.downloadclient", "c",
                                        AND(EQ("$c.implementation", "Sabnzbd"),
                                            LET({"cat": COALESCE(FIELD("$c.fields", "tvCategory"),
                                                                 FIELD("$c.fields", "movieCategory"))}, cond)))),
               "x", "$x.name")
sabcat = op("sab_category", "$sab.categories", "$cat")
HOST = FIELD("$c.fields", "host")

x01 = AND(NOT(EMPTY("$cat")), NOT(EXISTS(sabcat)))
rule("X-CAT-01", for_sab_clients(x01), sab_clients_where(x01))
x02 = EMPTY("$cat")
rule("X-CAT-02", for_sab_clients(x02), sab_clients_where(x02))
son = FIND("$arrs", "x", EQ("$x.name", "sonarr"))
rad = FIND("$arrs", "x", EQ("$x.name", "radarr"))
def categories(arr):
    return MAP(FILTER(f"{arr}.docs.downloadclient", "c", EQ("$c.implementation", "Sabnzbd")), "c",
               COALESCE(FIELD("$c.fields", "tvCategory"), FIELD("$c.fields", "movieCategory")))
x03 = LET({"s": son, "r": rad},
          ANY(categories("$s"), "k", AND(NOT(EMPTY("$k")), IN("$k", categories("$r")))))
rule("X-CAT-03", x03, LET({"s": son}, categories("$s")))
x04 = LET({"sc": sabcat}, AND(EXISTS("$sc"), MATCH("$sc.dir", "\\*$")))
rule("X-CAT-04", for_sab_clients(x04), sab_clients_where(x04))
x05 = AND(NOT(EMPTY("$cat")), ANY("$sab.sorters", "s", AND(ON("$s.is_active"),
                                                          OR(EMPTY("$s.sort_cats"), CONTAINS("$s.sort_cats", "$cat"),
                                                             CONTAINS("$s.sort_cats", "*")))))
rule("X-CAT-05", for_sab_clients(x05), sab_clients_where(x05))
x06 = LET({"sc": sabcat}, AND(EXISTS("$sc"),
                               LET({"eff": IF(EMPTY("$sc.pp"), op("sab_category", "$sab.categories", "*"), "$sc")},
                                   IN("$eff.pp", ["0", "1", 0, 1]))))
rule("X-CAT-06", for_sab_clients(x06), sab_clients_where(x06))
out_path = op("sab_cat_path", m("complete_dir"), COALESCE("$sc.dir", ""))
x_p01 = LET({"sc": sabcat}, LET({"out": out_path},
                                ANY("$x.docs.rootfolder", "r", op("inside", "$out", "$r.path"))))
rule("X-PATH-01", for_sab_clients(x_p01), sab_clients_where(x_p01))
x_p02 = ANY("$arrs", "x", ANY("$x.docs.rootfolder", "r", OR(op("inside", "$r.path", m("complete_dir")),
                                                             op("inside", "$r.path", m("download_dir")))))
rule("X-PATH-02", x_p02, MAP("$arrs", "x", MAP("$x.docs.rootfolder", "r", "$r.path")))
mapping = FIND("$x.docs.remotepathmapping", "mp", AND(EQ(LOWER("$mp.host"), LOWER(HOST)),
                                                      op("inside", "$out", "$mp.remotePath")))
x_p03 = LET({"sc": sabcat}, LET({"out": out_path}, LET({"map": mapping},
            LET({"local": IF(EXISTS("$map"), op("remap", "$out", "$map.remotePath", "$map.localPath"), "$out")},
                AND(NOT(EMPTY("$x.docs.rootfolder")),
                    NOT(ANY("$x.docs.rootfolder", "r", EQ(one("top", "$r.path"), one("top", "$local")))))))))
rule("X-PATH-03", for_sab_clients(x_p03), sab_clients_where(x_p03))
x_r01 = ANY("$arrs", "x", ANY("$x.docs.remotepathmapping", "mp",
                              NOT(ANY("$x.docs.downloadclient", "c", EQ(LOWER(HOST), LOWER("$mp.host"))))))
rule("X-RPM-01", x_r01, MAP("$arrs", "x", MAP("$x.docs.remotepathmapping", "mp", "$mp.host")))
x_r02 = ANY("$arrs", "x", ANY("$x.docs.remotepathmapping", "mp",
                              AND(op("inside", "$mp.remotePath", "$mp.localPath"),
                                  op("inside", "$mp.localPath", "$mp.remotePath"))))
rule("X-RPM-02", x_r02, MAP("$arrs", "x", MAP("$x.docs.remotepathmapping", "mp", "$mp.remotePath")))
same_host = lambda h: OR(EQ(LOWER(h), "localhost"), MATCH(h, "^127\\."), EQ(h, "::1"),
                         AND(NOT(one("is_ip", h)), NOT(CONTAINS(h, "."))))
x_r03 = ANY("$arrs", "x", ANY("$x.docs.remotepathmapping", "mp", same_host("$mp.host")))
rule("X-RPM-03", x_r03, MAP("$arrs", "x", MAP("$x.docs.remotepathmapping", "mp", "$mp.host")))
refused = AND(NOT(EMPTY(HOST)), NE(LOWER(HOST), "localhost"), NOT(one("is_ip", HOST)),
              NOT(MATCH(LOWER(HOST), "\\.local$")),
              NOT(IN(LOWER(HOST), MAP(COALESCE(m("host_whitelist"), []), "w", LOWER("$w")))))
x_n01 = AND(no_login, for_sab_clients(refused))
rule("X-NET-01", x_n01, m("host_whitelist"))
x_n02 = AND(ON(FIELD("$c.fields", "useSsl")), NOT(ON(m("enable_https"))))
rule("X-NET-02", for_sab_clients(x_n02), sab_clients_where(x_n02))
x_n03 = AND(same_host(HOST), NOT(EQ(FIELD("$c.fields", "port"), m("port"))),
            NOT(EQ(FIELD("$c.fields", "port"), m("https_port"))))
rule("X-NET-03", for_sab_clients(x_n03), sab_clients_where(x_n03))
x_n04 = AND(one("is_public_host", HOST), NOT(ON(FIELD("$c.fields", "useSsl"))))
rule("X-NET-04", for_sab_clients(x_n04), sab_clients_where(x_n04))

# ---------------------------------------------------------------- fixes (docs/fixes.md)
# A rule with one safe value carries the change that makes it pass; the others stay
# advisory ("manual fix"). Values are expressions, so constants are literals.
def fix(resource, field, value, each=None, var=None, app=None, restart=False):
    f = {"resource": resource, "field": field, "value": value}
    if app: f["app"] = app
    if each is not None:
        f["each"] = each
        f["var"] = var
    if restart: f["restart"] = True
    return f
sab_cat_of_client = lambda k: ANY("$arrs", "x", ANY("$x.docs.downloadclient", "c",
                                  AND(EQ("$c.implementation", "Sabnzbd"),
                                      EQ(LOWER(COALESCE(FIELD("$c.fields", "tvCategory"),
                                                        FIELD("$c.fields", "movieCategory"), "")), LOWER(k)))))
this_app_sab_clients = lambda cond: FILTER(a("downloadclient"), "c", AND(EQ("$c.implementation", "Sabnzbd"), cond))
FIXES = {
    "SAB-SEC-04": fix("misc", "enable_https_verification", 1),
    "SAB-SEC-06": fix("servers", "ssl_verify", 3, FILTER("$sab.servers", "s", AND(ON("$s.enable"), ON("$s.ssl"),
                                                                                 LT("$s.ssl_verify", 2))), "s"),
    "SAB-SEC-07": fix("misc", "allow_old_ssl_tls", 0),
    "SAB-SEC-08": fix("misc", "verify_xff_header", 1),
    "SAB-PERF-03": fix("misc", "pre_check", 0),
    "SAB-PERF-04": fix("misc", "enable_all_par", 0),
    "SAB-PERF-06": fix("misc", "auto_sort", ""),
    "SAB-PERF-08": fix("logging", "log_level", 1),
    "SAB-REL-01": fix("misc", "safe_postproc", 1),
    "SAB-REL-02": fix("misc", "fail_hopeless_jobs", 1),
    "SAB-REL-03": fix("misc", "pause_on_pwrar", 2),
    "SAB-REL-04": [fix("misc", "no_dupes", IF(EQ(m("no_dupes"), 1), 4, m("no_dupes"))),
                   fix("misc", "no_smart_dupes", IF(EQ(m("no_smart_dupes"), 1), 4, m("no_smart_dupes")))],
    "SAB-REL-05": fix("misc", "history_retention_option", "all"),
    "SAB-REL-10": fix("misc", "propagation_delay", 5),
    "SAB-REL-11": fix("sorters", "is_active", 0, FILTER("$sab.sorters", "s", ON("$s.is_active")), "s"),
    "SAB-Q-01": fix("misc", "ignore_samples", 0),
    "SAB-Q-02": fix("misc", "deobfuscate_final_filenames", 1),
    "SAB-Q-03": fix("misc", "flat_unpack", 1),
    "SAB-Q-04": fix("misc", "enable_recursive", 1),
    # Sonarr and Radarr: one spec serves both ids of a templated rule.
    "SON-SEC-04": fix("config/host", "authenticationRequired", "enabled", restart=True),
    "SON-SEC-06": fix("config/host", "certificateValidation", "enabled"),
    "SON-SEC-08": fix("config/mediamanagement", "extraFileExtensions", "srt,ass,sub,idx"),
    "SON-REL-01": fix("config/downloadclient", "enableCompletedDownloadHandling", True),
    "SON-REL-02": fix("config/downloadclient", "autoRedownloadFailed", True),
    "SON-REL-04": fix("downloadclient", "removeFailedDownloads", True,
                      this_app_sab_clients(OFF("$c.removeFailedDownloads")), "c"),
    "SON-STO-05": fix("downloadclient", "removeCompletedDownloads", True,
                      this_app_sab_clients(OFF("$c.removeCompletedDownloads")), "c"),
    "SON-REL-06": fix("config/host", "branch", "main"),
    "RAD-REL-06": fix("config/host", "branch", "master"),
    "SON-PERF-01": fix("config/host", "logLevel", "info"),
    "SON-REL-10": fix("config/host", "backupRetention", 28),
    "SON-REL-11": fix("config/mediamanagement", "rescanAfterRefresh", "always"),
    "SON-REL-12": fix("config/host", "proxyBypassLocalAddresses", True),
    "RAD-PERF-02": fix("config/downloadclient", "checkForFinishedDownloadInterval", 1),
    "SON-STO-01": fix("config/mediamanagement", "copyUsingHardlinks", True),
    "SON-STO-02": fix("config/mediamanagement", "skipFreeSpaceCheckWhenImporting", False),
    "SON-STO-03": fix("config/mediamanagement", "recycleBinCleanupDays", 7),
    "SON-Q-01": fix("config/mediamanagement", "enableMediaInfo", True),
    "SON-Q-02": fix("config/mediamanagement", "downloadPropersAndRepacks", "doNotPrefer"),
    "SON-Q-03": fix("config/naming", "renameEpisodes", True),
    "RAD-Q-03": fix("config/naming", "renameMovies", True),
    "SON-Q-05": fix("config/naming", "seasonFolderFormat", "Season {season:00}"),
    "SON-Q-06": fix("config/naming", "multiEpisodeStyle", 5),
    "RAD-Q-08": fix("config/naming", "movieFolderFormat", "{Movie CleanTitle} ({Release Year})"),
    # Cross-application: the SABnzbd side, or each *arr's clients ($app bound).
    "X-CAT-04": fix("categories", "dir", op("strip_suffix", "$k.dir", "*"),
                    FILTER("$sab.categories", "k", AND(MATCH("$k.dir", "\\*$"), sab_cat_of_client("$k.name"))), "k",
                    app="sabnzbd"),
    "X-CAT-05": fix("sorters", "is_active", 0,
                    FILTER("$sab.sorters", "s", AND(ON("$s.is_active"),
                                                    ANY("$arrs", "x", ANY("$x.docs.downloadclient", "c",
                                                        AND(EQ("$c.implementation", "Sabnzbd"),
                                                            LET({"cat": COALESCE(FIELD("$c.fields", "tvCategory"),
                                                                                 FIELD("$c.fields", "movieCategory"))},
                                                                AND(NOT(EMPTY("$cat")),
                                                                    OR(EMPTY("$s.sort_cats"),
                                                                       CONTAINS("$s.sort_cats", "$cat"),
                                                                       CONTAINS("$s.sort_cats", "*"))))))))),
                    "s", app="sabnzbd"),
    "X-CAT-06": fix("categories", "pp", "3",
                    FILTER("$sab.categories", "k",
                           AND(sab_cat_of_client("$k.name"),
                               IN(IF(EMPTY("$k.pp"), LET({"d": op("sab_category", "$sab.categories", "*")}, "$d.pp"), "$k.pp"),
                                  ["0", "1", 0, 1]))), "k", app="sabnzbd"),
    "X-NET-02": fix("downloadclient", "fields.useSsl", False,
                    this_app_sab_clients(AND(ON(FIELD("$c.fields", "useSsl")), NOT(ON(m("enable_https"))))), "c",
                    app="arrs"),
    "X-NET-03": fix("downloadclient", "fields.port", IF(ON(FIELD("$c.fields", "useSsl")), m("https_port"), m("port")),
                    this_app_sab_clients(AND(same_host(HOST), NOT(EQ(FIELD("$c.fields", "port"), m("port"))),
                                             NOT(EQ(FIELD("$c.fields", "port"), m("https_port"))))), "c",
                    app="arrs"),
}
for r in rules:
    for i in (list(r["ids"].values()) if "ids" in r else [r["id"]]):
        son = i.replace("RAD-", "SON-", 1)
        spec = FIXES.get(i) or (FIXES.get(son) if son != i and "ids" in r and len(r["ids"]) == 2 else None)
        if spec is not None: r["fix"] = spec

# ---------------------------------------------------------------- write
catalog = json.load(open(CATALOG))
doc = {
    "schema": "autoarr.rules/1",
    "version": "2026.11.1",
    "description": "Best-practice rules for SABnzbd, Sonarr and Radarr (catalog: tests/fixtures/arr/RULES.md). "
                   "Built by tools/build_rules.py; language: docs/rules.md.",
    "catalog": catalog,
    "rules": rules,
}
os.makedirs(os.path.dirname(OUT), exist_ok=True)
with open(OUT, "w") as f:
    f.write("{\n")
    f.write(f'  "schema": {json.dumps(doc["schema"])},\n  "version": {json.dumps(doc["version"])},\n')
    f.write(f'  "description": {json.dumps(doc["description"])},\n')
    f.write('  "catalog": [\n' + ",\n".join("    " + json.dumps(c, ensure_ascii=False) for c in catalog) + "\n  ],\n")
    f.write('  "rules": [\n' + ",\n".join("    " + json.dumps(r, ensure_ascii=False) for r in rules) + "\n  ]\n}\n")
ids = sum((list(r["ids"].values()) if "ids" in r else [r["id"]] for r in rules), [])
print(f"wrote {OUT}: {len(catalog)} catalog entries, {len(ids)} rule ids implemented")
