/* zaio-soak: the command line around soak_run(). */
#include "probe_net.h"
#include "relay.h"
#include "soak.h"
#include "traffic.h"

#include <zaio.h>

#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char soak_usage[] =
"usage: zaio-soak [--duration D | --probes N] [--backend B] [options]\n"
"\n"
"Soaks a zaio server: a server socket bound on loopback trades numbered messages with\n"
"a libzmq peer in another process (zaio-soak-peer), while the monitoring-probe\n"
"simulator (zaio-probe's engine, in a thread) hits the same port. Every interval it\n"
"samples RSS and zaio_stats into a CSV; progress shows on the terminal (plain lines\n"
"when stdout is not one). When the probes are done the traffic drains and both sides'\n"
"counts are reconciled, then it plots RSS and live records over probes (gnuplot) and\n"
"gives a verdict.\n"
"\n"
"PASS needs all of:\n"
"  - the probes ran and connected, and traffic went through the server;\n"
"  - no message lost, reordered or corrupt, no socket error, on either side;\n"
"  - live asyncio records (sockets + ops in flight + pinned buffers) back to where they\n"
"    were before the first probe, within --settle, with only the peer connected;\n"
"  - zero live records once the socket and the context are closed;\n"
"  - RSS growth from 10% of the probes to the end of probing under --rss-bound, from two\n"
"    samples or more (a run too short for --interval to take them is FAIL);\n"
"  - with --probes 100000 or more, the RSS slope (least squares, from 10% of the probes\n"
"    on) under --rss-slope-bound; shorter runs still show the warm-up in it;\n"
"  - the probes the server should drop (silent, partial, drip, zmtp1, zmtp2) dropped by\n"
"    the server's handshake timeout or at once, not closed by the probe at --silent-max;\n"
"  - the whole run: an interrupted one (Ctrl-C, SIGTERM) is FAIL.\n"
"--type STREAM: raw bytes, so the soak frames records itself (\"ZSK1\", a length, the\n"
"numbered body); the peer is a libzmq STREAM socket whose records the server echoes.\n"
"STREAM has no handshake timer: the soak server itself closes (zero-length frame) a\n"
"connection whose first bytes are not a record, at once, and one that has sent no whole\n"
"record within --handshake-ivl, its idle limit. \"Dropped by the server\" means that\n"
"close. PASS also needs the server's count of its connections to add up (each closed,\n"
"left, or open), only the peer's open after the settle, and that one never closed.\n"
"Otherwise FAIL with the figures. Exit status: 0 PASS, 1 FAIL, 2 could not run.\n"
"A first Ctrl-C stops the probes and runs the rest (drain, checks, plot); a second kills.\n"
"\n"
"Run:\n"
"  -d, --duration D       probe for D: 90s, 5m, 2h (default 60s without --probes)\n"
"  -n, --probes N         probe N times (e.g. 536534, the production leak's count)\n"
"  -b, --backend B        uring, epoll (iocp on Windows); default: the best available\n"
"  -t, --type T           the server's socket type (default ROUTER): ROUTER REP DEALER PAIR\n"
"                         (the peer sends, the server echoes), REQ (the peer echoes),\n"
"                         PULL SUB XSUB (the peer sends), PUSH PUB XPUB (the server sends),\n"
"                         STREAM (raw: records the server echoes; every probe is data)\n"
"      --bind EP          the server's endpoint (default tcp://127.0.0.1:*)\n"
"Probes (see zaio-probe --help for the modes):\n"
"  -x, --mix LIST         weighted modes (default\n"
"                         rst:4,fin:2,http:1,silent:1,partial:1,corrupt:1,drip:1,\n"
"                         zmtp1:1,zmtp2:1)\n"
"  -r, --probe-rate R     probe starts per second, or COUNT/PERIOD as 2/5s (default: as\n"
"                         fast as --concurrency allows)\n"
"  -c, --concurrency C    probes in flight at most (default 256)\n"
"  -s, --source LIST      source addresses, e.g. 127.0.0.2,127.0.0.3\n"
"      --silent-max D     the longest a silent probe waits to be dropped (default 10s)\n"
"      --seed N           orders the mix (default 1)\n"
"Server and traffic:\n"
"      --handshake-ivl D  the server drops a peer that has not greeted by then (default 2s;\n"
"                         STREAM: one that has not sent a whole record by then)\n"
"      --backlog N        the listener's backlog (default 4096)\n"
"      --msg-size N       message body bytes, 8 or more (default 64)\n"
"      --msg-rate R       messages per second the sender aims at (default 2000); 0: as fast\n"
"                         as the socket takes them (echo flows: within --window), not for\n"
"                         the pub/sub types, whose queues have no bound in the soak\n"
"      --window N         echo flows: messages out and not yet back (default 100)\n"
"      --heartbeat D      the libzmq peer's ZMQ_HEARTBEAT_IVL (default 1s; 0: off)\n"
"      --peer PATH        the peer program (default: zaio-soak-peer beside zaio-soak)\n"
"Faults (tools/faults, zaio-relay):\n"
"      --faults[=PERIOD]  the peer connects through a fault relay that injects a fault at\n"
"                         random every PERIOD on average (default 1s) while the probes\n"
"                         run; heartbeats on the server too. PASS then allows lost\n"
"                         messages, counted, only where a fault cut the connection (no\n"
"                         more runs of losses than cuts, but for PUSH and DEALER, whose\n"
"                         round robin interleaves a cut's losses with deliveries);\n"
"                         nothing corrupt, twice or reordered. Not with --type REQ (a\n"
"                         lost request stalls a REQ; the faults tests run lazy pirate)\n"
"      --fault-kinds LIST the kinds to pick from (default all): latency,bandwidth,slice,\n"
"                         rst,fin,blackhole,slow-close\n"
"Report:\n"
"  -o, --out PREFIX       write PREFIX.csv and PREFIX.png (default soak)\n"
"      --csv PATH         the CSV's path;  --png PATH  the plot's (\"\": no plot)\n"
"  -i, --interval D       a CSV row every D (default 1s)\n"
"      --progress D       a progress line every D (default 1s on a terminal, 10s otherwise)\n"
"      --settle D         how long live records may take to return (default 30s; 200ms at\n"
"                         least: they must hold still 100ms)\n"
"      --rss-bound MIB    the RSS growth PASS allows, in MiB (default 16)\n"
"      --rss-slope-bound KIB\n"
"                         the RSS slope PASS allows with --probes 100000 or more, in KiB\n"
"                         per 10,000 probes (default 256: 26 bytes a probe)\n"
"      --curve            the server speaks CURVE (a key pair of the run's own; no ZAP\n"
"                         handler), the libzmq peer as its client; the default mix adds\n"
"                         curve-garbage, curve-truncated and curve-replay, and PASS needs\n"
"                         none of them let in (no READY)\n"
"  -q, --quiet            the summary and verdict only\n"
"      --compare          today's zaio, the legacy 0.1.26 build and libzmq under the same\n"
"                         probes, in one plot (zaio-soak --compare --help)\n"
"  -h, --help             this text\n"
"\n"
"Examples:\n"
"  zaio-soak                                 a minute, every probe mode, the best backend\n"
"  zaio-soak --probes 536534 --backend uring -o long\n"
"      as many probes as the production leak took to kill a server\n"
"  zaio-soak --duration 1h --probe-rate 2/5s -s 127.0.0.2,127.0.0.3 --mix rst\n"
"      production's load: two monitors, each connecting and resetting every 5 s\n";

enum {
    OPT_BIND = 256, OPT_SILENT_MAX, OPT_SEED, OPT_HSK, OPT_BACKLOG, OPT_SIZE, OPT_MSG_RATE,
    OPT_WINDOW, OPT_HEARTBEAT, OPT_PEER, OPT_CSV, OPT_PNG, OPT_PROGRESS, OPT_SETTLE, OPT_RSS,
    OPT_RSS_SLOPE, OPT_CURVE, OPT_FAULTS, OPT_FAULT_KINDS
};

static const struct option soak_options[] = {
    {"duration", required_argument, NULL, 'd'},
    {"probes", required_argument, NULL, 'n'},
    {"backend", required_argument, NULL, 'b'},
    {"type", required_argument, NULL, 't'},
    {"bind", required_argument, NULL, OPT_BIND},
    {"mix", required_argument, NULL, 'x'},
    {"probe-rate", required_argument, NULL, 'r'},
    {"concurrency", required_argument, NULL, 'c'},
    {"source", required_argument, NULL, 's'},
    {"silent-max", required_argument, NULL, OPT_SILENT_MAX},
    {"seed", required_argument, NULL, OPT_SEED},
    {"handshake-ivl", required_argument, NULL, OPT_HSK},
    {"backlog", required_argument, NULL, OPT_BACKLOG},
    {"msg-size", required_argument, NULL, OPT_SIZE},
    {"msg-rate", required_argument, NULL, OPT_MSG_RATE},
    {"window", required_argument, NULL, OPT_WINDOW},
    {"heartbeat", required_argument, NULL, OPT_HEARTBEAT},
    {"peer", required_argument, NULL, OPT_PEER},
    {"out", required_argument, NULL, 'o'},
    {"csv", required_argument, NULL, OPT_CSV},
    {"png", required_argument, NULL, OPT_PNG},
    {"interval", required_argument, NULL, 'i'},
    {"progress", required_argument, NULL, OPT_PROGRESS},
    {"settle", required_argument, NULL, OPT_SETTLE},
    {"rss-bound", required_argument, NULL, OPT_RSS},
    {"rss-slope-bound", required_argument, NULL, OPT_RSS_SLOPE},
    {"curve", no_argument, NULL, OPT_CURVE},
    {"faults", optional_argument, NULL, OPT_FAULTS},
    {"fault-kinds", required_argument, NULL, OPT_FAULT_KINDS},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

void soak_config_init(soak_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->server_type = ZAIO_ROUTER;
    cfg->bind = "tcp://127.0.0.1:*";
    zprobe_config_init(&cfg->probe);
    zprobe_parse_mix("rst:4,fin:2,http:1,silent:1,partial:1,corrupt:1,drip:1,zmtp1:1,zmtp2:1", cfg->probe.weights);
    cfg->probe.silent_max_ms = 10000;
    cfg->msg_size = 64;
    cfg->msg_rate = 2000;
    cfg->window = 100;
    cfg->handshake_ivl_ms = 2000;
    cfg->heartbeat_ms = 1000;
    cfg->backlog = 4096;
    cfg->interval_ms = 1000;
    cfg->settle_ms = 30000;
    cfg->rss_bound_mib = 16;
    cfg->rss_slope_bound_kib = 256;
    cfg->fault_period_ms = 1000;
    cfg->fault_mask = ZRELAY_ALL_FAULTS;
}

static int soak_bad(const char *opt, const char *value, const char *want)
{
    fprintf(stderr, "zaio-soak: bad %s '%s': %s\nTry 'zaio-soak --help'.\n", opt, value, want);
    return 2;
}

static int soak_num(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* zaio-soak-peer beside this executable. */
static const char *soak_default_peer(void)
{
    static char path[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 32);
    if (n <= 0)
        return "zaio-soak-peer";
    path[n] = '\0';
    char *slash = strrchr(path, '/');
    strcpy(slash ? slash + 1 : path, "zaio-soak-peer");
    return path;
}

static void soak_on_signal(int sig)
{
    (void)sig;
    soak_interrupt();
}

int soak_compare_main(int argc, char **argv); /* compare.c */

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) /* --compare: three servers, one schedule (compare.c) */
        if (!strcmp(argv[i], "--compare"))
            return soak_compare_main(argc, argv);
    soak_config cfg;
    soak_config_init(&cfg);
    const char *out = "soak";
    static char csv[PATH_MAX], png[PATH_MAX];
    const char *csv_opt = NULL, *png_opt = NULL;
    int progress_set = 0, mix_set = 0;
    int c;
    while ((c = getopt_long(argc, argv, "d:n:b:t:x:r:c:s:o:i:qh", soak_options, NULL)) != -1) {
        double v;
        uint64_t ms;
        switch (c) {
        case 'd':
            if (zprobe_parse_duration_ms(optarg, &cfg.probe.duration_ms) < 0 ||
                !cfg.probe.duration_ms)
                return soak_bad("--duration", optarg, "a duration such as 90s, 5m, 2h");
            break;
        case 'n':
            if (soak_num(optarg, 1, 1e12, &v) < 0)
                return soak_bad("--probes", optarg, "a count of 1 or more");
            cfg.probe.count = (uint64_t)v;
            break;
        case 'b':
            if (strcmp(optarg, "uring") && strcmp(optarg, "epoll") && strcmp(optarg, "iocp") &&
                strcmp(optarg, "auto"))
                return soak_bad("--backend", optarg, "uring, epoll, iocp or auto");
            cfg.backend = strcmp(optarg, "auto") ? optarg : NULL;
            break;
        case 't':
            if ((cfg.server_type = soak_parse_type(optarg)) < 0)
                return soak_bad("--type", optarg,
                                "ROUTER REP DEALER PAIR REQ PULL SUB XSUB PUSH PUB XPUB STREAM");
            break;
        case OPT_BIND: cfg.bind = optarg; break;
        case 'x':
            if (zprobe_parse_mix(optarg, cfg.probe.weights) < 0)
                return soak_bad("--mix", optarg, "modes with weights, e.g. rst:5,http:1");
            mix_set = 1;
            break;
        case 'r':
            if (zprobe_parse_rate(optarg, &cfg.probe.rate) < 0)
                return soak_bad("--probe-rate", optarg, "e.g. 200, 200/s, 2/5s");
            break;
        case 'c':
            if (soak_num(optarg, 1, 1000000, &v) < 0)
                return soak_bad("--concurrency", optarg, "1 or more");
            cfg.probe.concurrency = (unsigned)v;
            break;
        case 's': cfg.probe.sources = optarg; break;
        case OPT_SILENT_MAX:
            if (zprobe_parse_duration_ms(optarg, &cfg.probe.silent_max_ms) < 0)
                return soak_bad("--silent-max", optarg, "a duration");
            break;
        case OPT_SEED:
            if (soak_num(optarg, 0, 1e18, &v) < 0)
                return soak_bad("--seed", optarg, "a number");
            cfg.probe.seed = (uint64_t)v;
            break;
        case OPT_HSK:
            if (zprobe_parse_duration_ms(optarg, &ms) < 0 || ms < 1 || ms > INT_MAX)
                return soak_bad("--handshake-ivl", optarg, "a duration of 1ms or more");
            cfg.handshake_ivl_ms = (int)ms;
            break;
        case OPT_BACKLOG:
            if (soak_num(optarg, 1, 1 << 20, &v) < 0)
                return soak_bad("--backlog", optarg, "1 or more");
            cfg.backlog = (int)v;
            break;
        case OPT_SIZE:
            if (soak_num(optarg, 8, 1 << 26, &v) < 0)
                return soak_bad("--msg-size", optarg, "8 to 64 MiB");
            cfg.msg_size = (size_t)v;
            break;
        case OPT_MSG_RATE:
            if (soak_num(optarg, 0, 1e9, &v) < 0)
                return soak_bad("--msg-rate", optarg, "messages per second, 0 for no limit");
            cfg.msg_rate = v;
            break;
        case OPT_WINDOW:
            if (soak_num(optarg, 1, 1e6, &v) < 0)
                return soak_bad("--window", optarg, "1 or more");
            cfg.window = (uint64_t)v;
            break;
        case OPT_HEARTBEAT:
            if (zprobe_parse_duration_ms(optarg, &ms) < 0 || ms > INT_MAX / 10)
                return soak_bad("--heartbeat", optarg, "a duration, 0 for none");
            cfg.heartbeat_ms = (int)ms;
            break;
        case OPT_PEER: cfg.peer_path = optarg; break;
        case 'o': out = optarg; break;
        case OPT_CSV: csv_opt = optarg; break;
        case OPT_PNG: png_opt = optarg; break;
        case 'i':
            if (zprobe_parse_duration_ms(optarg, &cfg.interval_ms) < 0 || cfg.interval_ms < 10)
                return soak_bad("--interval", optarg, "a duration of 10ms or more");
            break;
        case OPT_PROGRESS:
            if (zprobe_parse_duration_ms(optarg, &cfg.progress_ms) < 0 || cfg.progress_ms < 10)
                return soak_bad("--progress", optarg, "a duration of 10ms or more");
            progress_set = 1;
            break;
        case OPT_SETTLE:
            if (zprobe_parse_duration_ms(optarg, &cfg.settle_ms) < 0 || cfg.settle_ms < 200)
                return soak_bad("--settle", optarg, "a duration of 200ms or more");
            break;
        case OPT_RSS:
            if (soak_num(optarg, 0, 1e6, &cfg.rss_bound_mib) < 0)
                return soak_bad("--rss-bound", optarg, "MiB");
            break;
        case OPT_RSS_SLOPE:
            if (soak_num(optarg, 0, 1e9, &cfg.rss_slope_bound_kib) < 0)
                return soak_bad("--rss-slope-bound", optarg, "KiB per 10,000 probes");
            break;
        case OPT_CURVE: cfg.curve = 1; break;
        case OPT_FAULTS:
            cfg.faults = 1;
            if (optarg && (zprobe_parse_duration_ms(optarg, &cfg.fault_period_ms) < 0 ||
                           cfg.fault_period_ms < 10))
                return soak_bad("--faults", optarg, "a period of 10ms or more");
            break;
        case OPT_FAULT_KINDS: {
            cfg.fault_mask = 0;
            char list[128], *save = NULL;
            snprintf(list, sizeof list, "%s", optarg);
            for (char *k = strtok_r(list, ",", &save); k; k = strtok_r(NULL, ",", &save)) {
                int f = zrelay_parse_fault(k);
                if (f <= 0)
                    return soak_bad("--fault-kinds", k, "latency bandwidth slice rst fin "
                                                        "blackhole slow-close");
                cfg.fault_mask |= 1u << f;
            }
            break;
        }
        case 'q': cfg.quiet = 1; break;
        case 'h': fputs(soak_usage, stdout); return 0;
        default: fputs("Try 'zaio-soak --help'.\n", stderr); return 2;
        }
    }
    if (optind < argc)
        return soak_bad("argument", argv[optind], "zaio-soak takes options only");
    int st = cfg.server_type;
    /* a STREAM socket has no mechanism, and the relay cuts ZMTP frames, not records */
    if (st == ZAIO_STREAM && (cfg.curve || cfg.faults))
        return soak_bad("--type", "STREAM", "a type with ZMTP: --curve and --faults need one");
    if (cfg.curve && soak_curve_options(&cfg, mix_set) < 0)
        return 2;
    int pubsub = st == ZAIO_PUB || st == ZAIO_XPUB || st == ZAIO_SUB || st == ZAIO_XSUB;
    if (cfg.msg_rate == 0 && pubsub)
        return soak_bad("--msg-rate", "0", "the pub/sub types queue without bound: give a rate");
    if (cfg.faults && (st == ZAIO_REQ || strncmp(cfg.bind, "tcp://", 6) != 0))
        return soak_bad("--faults", "", "a tcp:// server of a type other than REQ");
    if (!cfg.probe.count && !cfg.probe.duration_ms)
        cfg.probe.duration_ms = 60000;
    if (!progress_set)
        cfg.progress_ms = isatty(1) ? 1000 : 10000;
    snprintf(csv, sizeof csv, "%s.csv", out);
    snprintf(png, sizeof png, "%s.png", out);
    cfg.csv = csv_opt ? csv_opt : csv;
    cfg.png = png_opt ? png_opt : png;
    if (!cfg.peer_path)
        cfg.peer_path = soak_default_peer();

    /* each probe in flight holds a descriptor; the server holds one per connection */
    zprobe_net_raise_fd_limit(2 * (uint64_t)cfg.probe.concurrency + 256);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = soak_on_signal;
    sa.sa_flags = SA_RESETHAND; /* the second Ctrl-C kills, as a user expects */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    return soak_run(&cfg);
}
