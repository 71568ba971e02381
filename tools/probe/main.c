/* zaio-probe: the command line around zprobe_run(). Progress goes to stderr and the
 * summary to stdout, so a parent process (zaio-soak) can read the JSON or CSV alone. */
#include "probe.h"
#include "probe_net.h"

#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { EXIT_RAN = 0, EXIT_SYSTEM = 1, EXIT_USAGE = 2, EXIT_UNREACHABLE = 3 };

static zprobe_report zp_report; /* static: the signal handler stops it */

static const char zp_usage[] =
"usage: zaio-probe --target tcp://HOST:PORT [--mode MODE | --mix MODE:W,...] [options]\n"
"\n"
"Simulates monitoring probes against a ZMTP port and reports, per mode and in total,\n"
"what it did and how the server answered. Progress goes to stderr (every second on a\n"
"terminal), the summary to stdout.\n"
"\n"
"Modes:\n"
"  rst       connect, then close with SO_LINGER 0 (the server sees an RST)\n"
"  fin       connect, then close normally (a FIN)\n"
"  silent    connect and send nothing until the server drops us (or --silent-max)\n"
"  http      send 'GET / HTTP/1.1' with a Host header, read until the server closes\n"
"  partial   send the first --partial-bytes of a ZMTP 3.1 greeting, then stay silent\n"
"  corrupt   send a 64-byte greeting that is wrong (--corrupt), then wait\n"
"  drip      send a valid greeting one byte every --drip-ms, then stay silent\n"
"  curve-garbage    greet as a CURVE client, send a HELLO whose key and box are random\n"
"  curve-truncated  greet as a CURVE client, send a HELLO cut short: in turn half of it\n"
"                   on the wire then silence, and a whole command 94 bytes too short\n"
"  curve-replay     capture one real CURVE handshake (a client key of its own and\n"
"                   --curve-server-key) at the start, then send its greeting, HELLO and\n"
"                   INITIATE again on every connection: a server that answers READY\n"
"                   took a replay\n"
"  zmtp1            greet as ZMTP 1.0 (libzmq 2.x), then stay silent or send junk\n"
"  zmtp2            greet as ZMTP 2.0 (JeroMQ 0.3, libzmq 3.x), then stay silent or send junk\n"
"\n"
"Options:\n"
"  -t, --target EP        tcp://host:port, host:port, [v6]:port or ipc://path (ipc://@name:\n"
"                         abstract); also accepted as the last argument. Over ipc:// rst\n"
"                         is a plain close (AF_UNIX has no RST) and --source does not apply\n"
"  -m, --mode MODE        one mode for every probe (default: rst)\n"
"  -x, --mix LIST         weighted modes, e.g. rst:5,fin:1,http:1 (a bare name weighs 1);\n"
"                         dealt in shuffled blocks, so the counts follow the weights\n"
"      --seed N           orders the mix and random garbage (default 1): same seed, same run\n"
"  -r, --rate R           probe starts per second, or COUNT/PERIOD: 200, 200/s, 2/5s,\n"
"                         1/500ms (default: as fast as --concurrency allows)\n"
"  -n, --count N          start N probes, then wait for them to end\n"
"  -d, --duration D       start probes for D: 500ms, 10s, 5m, 2h (bare number: seconds);\n"
"                         without --count or --duration, run until Ctrl-C\n"
"  -c, --concurrency C    probes in flight at most (default 256)\n"
"  -s, --source LIST      bind probe k to source address k mod n before connecting, e.g.\n"
"                         127.0.0.2,127.0.0.3 (two monitors on two hosts)\n"
"      --timeout D        connect timeout (default 5s); counted as 'timeout'\n"
"      --silent-max D     longest wait for the server to drop a probe (default 60s; 0: no cap);\n"
"                         then the probe closes and counts as 'capped'\n"
"      --partial-bytes N  greeting bytes the partial mode sends, 1..63 (default 10)\n"
"      --drip-ms MS       gap between the drip mode's greeting bytes (default 200)\n"
"      --corrupt KIND     signature (byte 9 wrong; default), version (major 0xEE),\n"
"                         mechanism (\"BOGUS\"), random (seeded garbage, byte 0 != 0xFF)\n"
"      --http-host H      Host header of the http mode (default: the target's host:port)\n"
"      --curve-server-key K  the CURVE server's public key, 40 Z85 characters (curve-replay)\n"
"      --curve-socket-type T the Socket-Type curve-replay's handshake claims (default DEALER)\n"
"  -i, --interval D       progress period when stderr is not a terminal (default 10s)\n"
"  -q, --quiet            no progress lines\n"
"      --json             summary as one JSON object\n"
"      --csv              summary as CSV: a row per mode and a total row\n"
"  -h, --help             this text\n"
"\n"
"What it reports: started, connected, refused, timeout, failed (other errors), aborted\n"
"(Ctrl-C); how each connected probe ended: server RST, server FIN, we RST / we FIN (we\n"
"closed first: at once for rst/fin, at --silent-max for the others: 'capped'); bytes\n"
"out and in; what came back: a ZMTP signature, whole greeting, READY, ERROR, an HTTP\n"
"reply; and, for probes the server dropped, the time from connect to the drop.\n"
"\n"
"Exit status: 0 when it ran (whatever the server did), 2 on bad arguments, 3 when no\n"
"probe could connect, 1 when the system refused (epoll, memory).\n"
"\n"
"Examples:\n"
"  zaio-probe -t tcp://127.0.0.1:5555 --rate 2/5s --duration 1h -s 127.0.0.2,127.0.0.3\n"
"      production: two monitors, each connecting and resetting every 5 s\n"
"  zaio-probe -t 127.0.0.1:5555 --mix rst:5,fin:1,http:1,silent:1,partial:1,corrupt:1,drip:1 \\\n"
"      --rate 300 --count 100000 -c 2000 --silent-max 10s --json\n"
"  zaio-probe -t 127.0.0.1:5555 --mode silent --count 10 -c 10\n"
"      ten idle connections: how long does the server keep them?\n";

enum {
    OPT_SEED = 256, OPT_TIMEOUT, OPT_SILENT_MAX, OPT_PARTIAL, OPT_DRIP, OPT_CORRUPT,
    OPT_HTTP_HOST, OPT_JSON, OPT_CSV, OPT_CURVE_KEY, OPT_CURVE_TYPE
};

static const struct option zp_options[] = {
    { "target", required_argument, NULL, 't' },
    { "mode", required_argument, NULL, 'm' },
    { "mix", required_argument, NULL, 'x' },
    { "seed", required_argument, NULL, OPT_SEED },
    { "rate", required_argument, NULL, 'r' },
    { "count", required_argument, NULL, 'n' },
    { "duration", required_argument, NULL, 'd' },
    { "concurrency", required_argument, NULL, 'c' },
    { "source", required_argument, NULL, 's' },
    { "timeout", required_argument, NULL, OPT_TIMEOUT },
    { "silent-max", required_argument, NULL, OPT_SILENT_MAX },
    { "partial-bytes", required_argument, NULL, OPT_PARTIAL },
    { "drip-ms", required_argument, NULL, OPT_DRIP },
    { "corrupt", required_argument, NULL, OPT_CORRUPT },
    { "http-host", required_argument, NULL, OPT_HTTP_HOST },
    { "curve-server-key", required_argument, NULL, OPT_CURVE_KEY },
    { "curve-socket-type", required_argument, NULL, OPT_CURVE_TYPE },
    { "interval", required_argument, NULL, 'i' },
    { "quiet", no_argument, NULL, 'q' },
    { "json", no_argument, NULL, OPT_JSON },
    { "csv", no_argument, NULL, OPT_CSV },
    { "help", no_argument, NULL, 'h' },
    { NULL, 0, NULL, 0 },
};

static int zp_bad(const char *opt, const char *value, const char *want)
{
    fprintf(stderr, "zaio-probe: bad %s '%s': %s\nTry 'zaio-probe --help'.\n", opt, value, want);
    return EXIT_USAGE;
}

static int zp_uint(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    if (s[0] < '0' || s[0] > '9')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0' || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

typedef struct zp_cli {
    int tty, quiet, printed;
} zp_cli;

static int zp_progress(const zprobe_stats *st, void *arg)
{
    zp_cli *cli = arg;
    cli->printed = 1;
    char line[512];
    zprobe_format_progress(line, sizeof line, st);
    /* A terminal gets one line rewritten in place; a log gets whole lines. */
    if (cli->tty)
        fprintf(stderr, "\r%s\033[K", line);
    else
        fprintf(stderr, "%s\n", line);
    fflush(stderr);
    return 0;
}

static void zp_on_signal(int sig)
{
    (void)sig;
    zprobe_stop(&zp_report);
}

int main(int argc, char **argv)
{
    zprobe_config cfg;
    zprobe_config_init(&cfg);
    zprobe_format fmt = ZPROBE_TEXT;
    zp_cli cli = { isatty(STDERR_FILENO), 0, 0 };
    uint64_t interval_ms = 10000, v;
    const char *mode = NULL, *mix = NULL;
    int opt;

    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":t:m:x:r:n:d:c:s:i:qh", zp_options, NULL)) != -1) {
        switch (opt) {
        case 't': cfg.target = optarg; break;
        case 'm':
            if (zprobe_parse_mode(optarg) < 0)
                return zp_bad("--mode", optarg, "one of rst fin silent http partial corrupt drip "
                                                "curve-garbage curve-truncated curve-replay "
                                                "zmtp1 zmtp2");
            mode = optarg;
            break;
        case 'x':
            if (zprobe_parse_mix(optarg, cfg.weights) != 0)
                return zp_bad("--mix", optarg,
                              "MODE:WEIGHT,... with known modes, each once, weights adding up to 1..10000");
            mix = optarg;
            break;
        case OPT_SEED:
            if (zp_uint(optarg, 0, UINT64_MAX, &cfg.seed) != 0)
                return zp_bad("--seed", optarg, "a whole number");
            break;
        case 'r':
            if (zprobe_parse_rate(optarg, &cfg.rate) != 0)
                return zp_bad("--rate", optarg, "R, R/s or COUNT/PERIOD such as 2/5s");
            break;
        case 'n':
            if (zp_uint(optarg, 1, UINT64_MAX, &cfg.count) != 0)
                return zp_bad("--count", optarg, "a whole number >= 1");
            break;
        case 'd':
            if (zprobe_parse_duration_ms(optarg, &cfg.duration_ms) != 0 || cfg.duration_ms == 0)
                return zp_bad("--duration", optarg, "a duration such as 500ms, 10s, 5m, 2h");
            break;
        case 'c':
            if (zp_uint(optarg, 1, 1000000, &v) != 0)
                return zp_bad("--concurrency", optarg, "1..1000000");
            cfg.concurrency = (unsigned)v;
            break;
        case 's': cfg.sources = optarg; break;
        case OPT_TIMEOUT:
            if (zprobe_parse_duration_ms(optarg, &cfg.connect_timeout_ms) != 0 ||
                cfg.connect_timeout_ms == 0)
                return zp_bad("--timeout", optarg, "a duration such as 2s");
            break;
        case OPT_SILENT_MAX:
            if (zprobe_parse_duration_ms(optarg, &cfg.silent_max_ms) != 0)
                return zp_bad("--silent-max", optarg, "a duration such as 60s (0: no cap)");
            break;
        case OPT_PARTIAL:
            if (zp_uint(optarg, 1, 63, &v) != 0)
                return zp_bad("--partial-bytes", optarg, "1..63");
            cfg.partial_bytes = (unsigned)v;
            break;
        case OPT_DRIP:
            if (zp_uint(optarg, 1, 3600000, &cfg.drip_ms) != 0)
                return zp_bad("--drip-ms", optarg, "1..3600000 milliseconds");
            break;
        case OPT_CORRUPT: {
            int c = zprobe_parse_corrupt(optarg);
            if (c < 0)
                return zp_bad("--corrupt", optarg, "signature, version, mechanism or random");
            cfg.corrupt = (zprobe_corrupt)c;
            break;
        }
        case OPT_HTTP_HOST: cfg.http_host = optarg; break;
        case OPT_CURVE_KEY: cfg.curve_server_key = optarg; break;
        case OPT_CURVE_TYPE: cfg.curve_socket_type = optarg; break;
        case 'i':
            if (zprobe_parse_duration_ms(optarg, &interval_ms) != 0 || interval_ms == 0)
                return zp_bad("--interval", optarg, "a duration such as 10s");
            break;
        case 'q': cli.quiet = 1; break;
        case OPT_JSON: fmt = ZPROBE_JSON; break;
        case OPT_CSV: fmt = ZPROBE_CSV; break;
        case 'h': fputs(zp_usage, stdout); return EXIT_RAN;
        case ':':
            fprintf(stderr, "zaio-probe: %s needs a value\nTry 'zaio-probe --help'.\n",
                    argv[optind - 1]);
            return EXIT_USAGE;
        default:
            fprintf(stderr, "zaio-probe: unknown option '%s'\nTry 'zaio-probe --help'.\n",
                    argv[optind - 1]);
            return EXIT_USAGE;
        }
    }
    if (optind < argc && cfg.target == NULL)
        cfg.target = argv[optind++];
    if (optind < argc) {
        fprintf(stderr, "zaio-probe: unexpected argument '%s'\nTry 'zaio-probe --help'.\n",
                argv[optind]);
        return EXIT_USAGE;
    }
    if (cfg.target == NULL) {
        fprintf(stderr, "zaio-probe: no --target\nTry 'zaio-probe --help'.\n");
        return EXIT_USAGE;
    }
    if (mode && mix) {
        fprintf(stderr, "zaio-probe: --mode and --mix exclude each other\n");
        return EXIT_USAGE;
    }
    if (mode) {
        memset(cfg.weights, 0, sizeof cfg.weights);
        cfg.weights[zprobe_parse_mode(mode)] = 1;
    }

    /* Every probe in flight holds a descriptor; ask for them now rather than count
     * EMFILE as connect failures later. */
    uint64_t limit = zprobe_net_raise_fd_limit((uint64_t)cfg.concurrency + 64);
    if (limit < (uint64_t)cfg.concurrency + 64) {
        unsigned fit = limit > 128 ? (unsigned)(limit - 64) : 64;
        fprintf(stderr, "zaio-probe: open-files limit %llu: concurrency lowered from %u to %u\n",
                (unsigned long long)limit, cfg.concurrency, fit);
        cfg.concurrency = fit;
    }

    cfg.progress_ms = cli.quiet ? 0 : cli.tty ? 1000 : interval_ms;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = zp_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    int rc = zprobe_run(&cfg, &zp_report, cli.quiet ? NULL : zp_progress, &cli);
    if (cli.tty && cli.printed)
        fputc('\n', stderr);
    if (rc == ZPROBE_ERR_CONFIG) {
        fprintf(stderr, "zaio-probe: %s\nTry 'zaio-probe --help'.\n", zp_report.error);
        return EXIT_USAGE;
    }
    zprobe_stats st;
    zprobe_sample(&zp_report, &st);
    zprobe_print_summary(stdout, fmt, &cfg, &st);
    if (rc != ZPROBE_OK) {
        fprintf(stderr, "zaio-probe: %s\n", zp_report.error);
        return EXIT_SYSTEM;
    }
    if (zprobe_unreachable(&st)) {
        fprintf(stderr, "zaio-probe: %s unreachable: no probe connected (refused %llu, timeout "
                        "%llu, failed %llu)\n",
                cfg.target, (unsigned long long)st.total.refused,
                (unsigned long long)st.total.timed_out, (unsigned long long)st.total.conn_failed);
        return EXIT_UNREACHABLE;
    }
    return EXIT_RAN;
}
