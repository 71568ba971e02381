/* The zaio-probe command: its exit codes, --help, the summaries on stdout and progress
 * on stderr, and Ctrl-C. The binary runs as a child against the test listener. */
#include "listener.h"

#include <criterion/criterion.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

typedef struct cli_result {
    int status; /* exit code, or 128 + signal */
    char out[1 << 16];
    char err[1 << 16];
} cli_result;

static cli_result res;

/* Runs zaio-probe with args (NULL-terminated). If interrupt_on is set, sends SIGINT
 * once stderr contains it. Kills the child after 60 s so that a hang fails the test. */
static int cli_run(const char *interrupt_on, const char *const *args)
{
    const char *argv[64] = { ZPROBE_BIN };
    int argc = 1;
    while (*args && argc < 63)
        argv[argc++] = *args++;
    argv[argc] = NULL;

    int po[2], pe[2];
    cr_assert_eq(pipe(po), 0);
    cr_assert_eq(pipe(pe), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, po[1], 1);
    posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
    posix_spawn_file_actions_addclose(&fa, po[0]);
    posix_spawn_file_actions_addclose(&fa, pe[0]);
    pid_t pid;
    cr_assert_eq(posix_spawn(&pid, ZPROBE_BIN, &fa, NULL, (char *const *)argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(po[1]);
    close(pe[1]);

    memset(&res, 0, sizeof res);
    size_t no = 0, ne = 0;
    int open_fds = 2, interrupted = 0;
    time_t until = time(NULL) + 60;
    struct pollfd pfd[2] = { { po[0], POLLIN, 0 }, { pe[0], POLLIN, 0 } };
    while (open_fds > 0 && time(NULL) < until) {
        if (poll(pfd, 2, 1000) <= 0)
            continue;
        for (int i = 0; i < 2; i++) {
            if (!pfd[i].revents)
                continue;
            char *buf = i ? res.err : res.out;
            size_t *n = i ? &ne : &no;
            ssize_t k = read(pfd[i].fd, buf + *n, sizeof res.out - 1 - *n);
            if (k <= 0) {
                pfd[i].fd = -pfd[i].fd - 1; /* poll ignores negative fds */
                open_fds--;
            } else {
                *n += (size_t)k;
            }
        }
        if (interrupt_on && !interrupted && strstr(res.err, interrupt_on)) {
            kill(pid, SIGINT);
            interrupted = 1;
        }
    }
    if (open_fds > 0)
        kill(pid, SIGKILL);
    int st;
    waitpid(pid, &st, 0);
    close(po[0]);
    close(pe[0]);
    res.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return res.status;
}

static char target[64];

static const char *target_of(unsigned port)
{
    snprintf(target, sizeof target, "127.0.0.1:%u", port);
    return target;
}

Test(probe_cli, help_explains_every_option)
{
    cr_assert_eq(cli_run(NULL, (const char *[]){ "--help", NULL }), 0);
    const char *want[] = { "--target", "--mode", "--mix", "--seed", "--rate", "--count",
                           "--duration", "--concurrency", "--source", "--timeout",
                           "--silent-max", "--partial-bytes", "--drip-ms", "--corrupt",
                           "--http-host", "--interval", "--quiet", "--json", "--csv", "--help",
                           "rst", "fin", "silent", "http", "partial", "corrupt", "drip", "zmtp1", "zmtp2",
                           "2/5s", "Examples", "Exit status" };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
        cr_expect_not_null(strstr(res.out, want[i]), "--help mentions %s", want[i]);
    cr_assert_eq(cli_run(NULL, (const char *[]){ "-h", NULL }), 0);
}

Test(probe_cli, bad_arguments_exit_2)
{
    const char *const *cases[] = {
        (const char *[]){ NULL },
        (const char *[]){ "--bogus", NULL },
        (const char *[]){ "-t", "127.0.0.1:1", "--mode", "bogus", NULL },
        (const char *[]){ "-t", "127.0.0.1:1", "--mix", "rst:x", NULL },
        (const char *[]){ "-t", "127.0.0.1:1", "--mode", "rst", "--mix", "fin:1", NULL },
        (const char *[]){ "-t", "127.0.0.1:1", "--rate", "abc", NULL },
        (const char *[]){ "-t", "127.0.0.1:1", "--rate", "2/0s", NULL },
        (const char *[]){ "-t", "127.0.0.1:1", "--count", "0", NULL },
        (const char *[]){ "-t", "127.0.0.1:1", "--count", "-5", NULL },
        (const char *[]){ "-t", "127.0.0.1:1", "--duration", "10x", NULL },
        (const char *[]){ "-t", "127.0.0.1:1", "--concurrency", "0", NULL },
        (const char *[]){ "-t", "127.0.0.1:1", "--partial-bytes", "64", NULL },
        (const char *[]){ "-t", "127.0.0.1:1", "--corrupt", "nope", NULL },
        (const char *[]){ "-t", "127.0.0.1:1", "--source", "not-an-ip", "--count", "1", NULL },
        (const char *[]){ "-t", "nonsense", "--count", "1", NULL },
        (const char *[]){ "-t", "127.0.0.1:1", "extra", "--count", "1", NULL },
        (const char *[]){ "--count", NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        cr_expect_eq(cli_run(NULL, cases[i]), 2, "case %zu: %s", i, res.err);
        cr_expect_not_null(strstr(res.err, "zaio-probe"), "case %zu says why", i);
    }
}

Test(probe_cli, json_summary_on_stdout)
{
    tl_listener *l = tl_start(TL_HOLD, 0);
    cr_assert_eq(cli_run(NULL, (const char *[]){ "-t", target_of(tl_port(l)), "--mode", "rst",
                                                 "--count", "5", "-q", "--json", NULL }),
                 0, "%s", res.err);
    cr_expect_eq(res.out[0], '{');
    cr_expect_not_null(strstr(res.out, "\"modes\":{\"rst\":{\"started\":5,"), "%s", res.out);
    cr_expect_not_null(strstr(res.out, "\"rst_sent\":5,"));
    cr_expect_eq(res.err[0], '\0', "--quiet: nothing on stderr");
    tl_stop(l, NULL, 0);
}

Test(probe_cli, csv_summary_has_a_row_per_mode)
{
    tl_listener *l = tl_start(TL_HOLD, 0);
    cr_assert_eq(cli_run(NULL, (const char *[]){ "-t", target_of(tl_port(l)), "--mix",
                                                 "rst:1,fin:1", "--count", "4", "-q", "--csv",
                                                 NULL }),
                 0);
    cr_expect(strncmp(res.out, "mode,started,done,", 18) == 0, "%s", res.out);
    cr_expect_not_null(strstr(res.out, "\nrst,2,2,"));
    cr_expect_not_null(strstr(res.out, "\nfin,2,2,"));
    cr_expect_not_null(strstr(res.out, "\ntotal,4,4,"));
    tl_stop(l, NULL, 0);
}

Test(probe_cli, text_summary_and_progress_lines_off_a_terminal)
{
    tl_listener *l = tl_start(TL_HOLD, 0);
    cr_assert_eq(cli_run(NULL, (const char *[]){ "-t", target_of(tl_port(l)), "--rate", "20",
                                                 "--count", "10", "--interval", "100ms", NULL }),
                 0);
    cr_expect_not_null(strstr(res.out, "connections"), "%s", res.out);
    cr_expect_not_null(strstr(res.out, "  total"));
    int lines = 0;
    for (const char *p = res.err; (p = strstr(p, " started ")) != NULL; p++)
        lines++;
    cr_expect_geq(lines, 2, "progress every 100 ms over ~0.5 s: %s", res.err);
    cr_expect_null(strchr(res.err, '\r'), "plain lines, no carriage returns, off a terminal");
    tl_stop(l, NULL, 0);
}

Test(probe_cli, unreachable_target_exits_3)
{
    cr_expect_eq(cli_run(NULL, (const char *[]){ "-t", target_of(tl_dead_port()), "--count", "3",
                                                 "-q", NULL }),
                 3);
    cr_expect_not_null(strstr(res.err, "unreachable"), "%s", res.err);
    cr_expect_not_null(strstr(res.out, "refused"), "the summary still prints");
}

Test(probe_cli, interrupt_ends_the_run_with_a_summary)
{
    tl_listener *l = tl_start(TL_HOLD, 0);
    cr_assert_eq(cli_run(" started ", (const char *[]){ "-t", target_of(tl_port(l)), "--mode",
                                                        "silent", "-c", "10", "--interval",
                                                        "100ms", "--json", NULL }),
                 0, "%s", res.err);
    cr_expect_not_null(strstr(res.out, "\"aborted\":10,"), "%s", res.out);
    cr_expect_not_null(strstr(res.out, "\"in_flight\":0,"));
    tl_stop(l, NULL, 0);
}
