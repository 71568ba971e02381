/* zaio-relay: the fault relay as a command (relay.h has the model). */
#include "probe.h" /* zprobe_parse_duration_ms */
#include "relay.h"

#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char relay_usage[] =
"usage: zaio-relay [options] TARGET [STEP...]\n"
"\n"
"Relays TCP connections to TARGET (tcp://127.0.0.1:5555 or 127.0.0.1:5555) and injects\n"
"faults into them, toxiproxy-style. Prints the endpoint to connect to on its first line.\n"
"\n"
"Faults (PARAM after '='):\n"
"  latency=MS      every chunk held MS ms, each way (a toxic: stays until 'clear')\n"
"  bandwidth=BPS   each way limited to BPS bytes a second (a toxic)\n"
"  slice[=US]      every byte its own segment, US microseconds apart (a toxic)\n"
"  rst             at the next bytes, forward part of a frame and reset both sides\n"
"  fin             the same, closing both sides with FIN\n"
"  blackhole       forward nothing more, close nothing (heartbeats must find it)\n"
"  slow-close=MS   FIN to the client now, to the target MS ms later, nothing forwarded\n"
"  clear           remove every toxic\n"
"Cuts act on the connections open at the time; later ones are relayed clean.\n"
"\n"
"A STEP is TIME:FAULT[=PARAM], TIME from the start: 2s:latency=50 5s:clear 6s:rst.\n"
"Lines on stdin are faults too ('rst', 'latency=20'), plus 'stats' and 'quit'.\n"
"\n"
"Options:\n"
"  -l, --listen ADDR     where to listen (default 127.0.0.1:0, a free port)\n"
"  -r, --random PERIOD   a random fault every PERIOD on average (toxics last a PERIOD)\n"
"  -f, --faults LIST     the kinds --random picks from (default: all), e.g. rst,fin,latency\n"
"      --seed N          --random's seed (default 1)\n"
"  -d, --duration D      exit after D (default: at the end of input, or never with steps)\n"
"  -h, --help            this text\n"
"At exit the counts: connections, bytes, faults injected and cuts made by kind.\n";

static volatile sig_atomic_t relay_quit;
static void relay_on_signal(int s)
{
    (void)s;
    relay_quit = 1;
}

static uint64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* "rst", "latency=50" -> fault, param. Returns 0 or -1. */
static int parse_fault(const char *s, zrelay_fault *f, uint64_t *param)
{
    char name[32];
    const char *eq = strchr(s, '=');
    size_t n = eq ? (size_t)(eq - s) : strlen(s);
    if (n >= sizeof name)
        return -1;
    memcpy(name, s, n);
    name[n] = '\0';
    int k = zrelay_parse_fault(name);
    if (k < 0)
        return -1;
    *f = (zrelay_fault)k;
    *param = 0;
    if (eq) {
        char *end;
        *param = strtoull(eq + 1, &end, 10);
        if (end == eq + 1 || *end)
            return -1;
    }
    if ((k == ZRELAY_LATENCY || k == ZRELAY_BANDWIDTH) && !*param)
        return -1;
    return 0;
}

typedef struct step {
    uint64_t at_ms;
    zrelay_fault f;
    uint64_t param;
} step;

static void print_stats(zrelay *r, FILE *out)
{
    zrelay_stats st;
    zrelay_get_stats(r, &st);
    fprintf(out, "connections accepted=%" PRIu64 " upstream_failed=%" PRIu64 " open=%" PRIu64
                 " bytes_up=%" PRIu64 " bytes_down=%" PRIu64 "\n",
            st.accepted, st.upstream_failed, st.open, st.bytes_up, st.bytes_down);
    fprintf(out, "faults");
    for (int f = 1; f < ZRELAY_FAULT_COUNT; f++)
        fprintf(out, " %s=%" PRIu64, zrelay_fault_name((zrelay_fault)f), st.injected[f]);
    fprintf(out, "\ncuts");
    for (int f = ZRELAY_RST; f <= ZRELAY_SLOW_CLOSE; f++)
        fprintf(out, " %s=%" PRIu64, zrelay_fault_name((zrelay_fault)f), st.cut[f]);
    fprintf(out, " mid_frame=%" PRIu64 " pending=%" PRIu64 "\n", st.mid_frame, st.pending_cuts);
    fflush(out);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"listen", required_argument, NULL, 'l'}, {"random", required_argument, NULL, 'r'},
        {"faults", required_argument, NULL, 'f'}, {"seed", required_argument, NULL, 's'},
        {"duration", required_argument, NULL, 'd'}, {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *listen_at = NULL;
    uint64_t random_ms = 0, duration_ms = 0;
    zrelay_chaos_config cc;
    zrelay_chaos_config_init(&cc);
    int c;
    while ((c = getopt_long(argc, argv, "l:r:f:d:h", opts, NULL)) != -1) {
        switch (c) {
        case 'l': listen_at = optarg; break;
        case 'r':
            if (zprobe_parse_duration_ms(optarg, &random_ms) < 0 || !random_ms) {
                fprintf(stderr, "zaio-relay: bad --random '%s'\n", optarg);
                return 2;
            }
            break;
        case 'f': {
            cc.mask = 0;
            char *list = strdup(optarg), *save = NULL;
            for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                int k = zrelay_parse_fault(t);
                if (k <= 0) {
                    fprintf(stderr, "zaio-relay: unknown fault '%s'\n", t);
                    free(list);
                    return 2;
                }
                cc.mask |= 1u << k;
            }
            free(list);
            break;
        }
        case 's': cc.seed = strtoull(optarg, NULL, 10); break;
        case 'd':
            if (zprobe_parse_duration_ms(optarg, &duration_ms) < 0) {
                fprintf(stderr, "zaio-relay: bad --duration '%s'\n", optarg);
                return 2;
            }
            break;
        case 'h': fputs(relay_usage, stdout); return 0;
        default: fputs("Try 'zaio-relay --help'.\n", stderr); return 2;
        }
    }
    if (optind >= argc) {
        fputs(relay_usage, stderr);
        return 2;
    }
    const char *target = argv[optind++];
    int nsteps = argc - optind;
    step *steps = calloc((size_t)nsteps + 1, sizeof *steps);
    for (int i = 0; i < nsteps; i++) {
        const char *a = argv[optind + i], *colon = strchr(a, ':');
        char t[32];
        if (!colon || (size_t)(colon - a) >= sizeof t)
            goto bad_step;
        memcpy(t, a, (size_t)(colon - a));
        t[colon - a] = '\0';
        if (zprobe_parse_duration_ms(t, &steps[i].at_ms) < 0 ||
            parse_fault(colon + 1, &steps[i].f, &steps[i].param) < 0)
            goto bad_step;
        if (i && steps[i].at_ms < steps[i - 1].at_ms)
            goto bad_step;
        continue;
    bad_step:
        fprintf(stderr, "zaio-relay: bad step '%s' (TIME:FAULT[=PARAM], times in order)\n", a);
        free(steps);
        return 2;
    }

    zrelay *r;
    int rc = zrelay_start(target, listen_at, &r);
    if (rc < 0) {
        fprintf(stderr, "zaio-relay: %s: %s\n", target, strerror(-rc));
        free(steps);
        return 1;
    }
    printf("%s\n", zrelay_endpoint(r));
    fflush(stdout);
    signal(SIGINT, relay_on_signal);
    signal(SIGTERM, relay_on_signal);
    signal(SIGPIPE, SIG_IGN);
    zrelay_chaos *chaos = NULL;
    if (random_ms) {
        cc.period_ms = random_ms;
        if (zrelay_chaos_start(r, &cc, &chaos) < 0) {
            fprintf(stderr, "zaio-relay: cannot start --random\n");
            zrelay_stop(r);
            free(steps);
            return 1;
        }
    }
    uint64_t t0 = now_ms();
    int next = 0, in_open = 1;
    char line[256];
    size_t len = 0;
    for (;;) {
        uint64_t t = now_ms() - t0;
        while (next < nsteps && steps[next].at_ms <= t) {
            zrelay_inject(r, steps[next].f, steps[next].param);
            fprintf(stderr, "zaio-relay: %" PRIu64 " ms: %s\n", t, argv[optind + next]);
            next++;
        }
        if (relay_quit || (duration_ms && t >= duration_ms))
            break;
        /* without steps, random faults or a duration, the end of input ends the run */
        if (!in_open && !nsteps && !random_ms && !duration_ms)
            break;
        int wait = 1000;
        if (next < nsteps && steps[next].at_ms - t < (uint64_t)wait)
            wait = (int)(steps[next].at_ms - t);
        if (duration_ms && duration_ms - t < (uint64_t)wait)
            wait = (int)(duration_ms - t);
        struct pollfd p = {0, POLLIN, 0};
        if (poll(&p, in_open ? 1 : 0, wait) <= 0 || !p.revents)
            continue;
        ssize_t n = read(0, line + len, sizeof line - 1 - len);
        if (n <= 0) {
            in_open = 0;
            continue;
        }
        len += (size_t)n;
        line[len] = '\0';
        char *start = line, *nl;
        while ((nl = strchr(start, '\n'))) {
            *nl = '\0';
            zrelay_fault f;
            uint64_t param;
            if (strcmp(start, "quit") == 0) {
                relay_quit = 1;
            } else if (strcmp(start, "stats") == 0) {
                print_stats(r, stdout);
            } else if (*start && parse_fault(start, &f, &param) == 0) {
                zrelay_inject(r, f, param);
                printf("ok %s\n", start);
                fflush(stdout);
            } else if (*start) {
                printf("error '%s'\n", start);
                fflush(stdout);
            }
            start = nl + 1;
        }
        len -= (size_t)(start - line);
        memmove(line, start, len);
        if (len == sizeof line - 1)
            len = 0;
    }
    zrelay_chaos_stop(chaos);
    print_stats(r, stdout);
    zrelay_stop(r);
    free(steps);
    return 0;
}
