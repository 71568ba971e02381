/* soak_curve.c - zaio-soak --curve: the server speaks CURVE with a key pair of the run's
 * own and no ZAP handler (so, as with libzmq, any client that knows the server's key gets
 * in: the libzmq peer, and the curve-replay probe's one capture handshake), and the probe
 * mix adds the CURVE modes, none of which may get a READY. */
#include "soak.h"
#include "traffic.h"

#include <zaio.h>

#include <stdio.h>
#include <stdlib.h>

static char soak_curve_pub[41], soak_curve_sec[41];

int soak_curve_options(soak_config *cfg, int mix_set)
{
    unsigned *w = cfg->probe.weights;
    if (!mix_set)
        w[ZPROBE_CURVE_GARBAGE] = w[ZPROBE_CURVE_TRUNCATED] = w[ZPROBE_CURVE_REPLAY] = 1;
    int t = cfg->server_type;
    if (w[ZPROBE_CURVE_REPLAY] && (t == ZAIO_PUSH || t == ZAIO_DEALER || t == ZAIO_REQ)) {
        fprintf(stderr, "zaio-soak: --curve with curve-replay needs a server type that does not "
                        "deal messages out round-robin: the replay's capture connection would "
                        "take a share of a %s's (leave curve-replay out of --mix)\n",
                soak_type_name(t));
        return -1;
    }
    return 0;
}

int soak_curve_server(void *sock, int server_type, zprobe_config *probe)
{
    int one = 1;
    if (zaio_curve_keypair(soak_curve_pub, soak_curve_sec) < 0 ||
        zaio_setsockopt(sock, ZAIO_CURVE_SERVER, &one, sizeof one) < 0 ||
        zaio_setsockopt(sock, ZAIO_CURVE_SECRETKEY, soak_curve_sec, 40) < 0)
        return -1;
    /* the peer is started with this process's environment */
    if (setenv("ZAIO_SOAK_CURVE_SERVERKEY", soak_curve_pub, 1) < 0)
        return -1;
    probe->curve_server_key = soak_curve_pub;
    /* the capture handshake says it is what the peer is: a type this server pairs with */
    probe->curve_socket_type = soak_type_name(soak_peer_type(server_type, NULL));
    return 0;
}

uint64_t soak_curve_admitted(const zprobe_stats *st)
{
    return st->mode[ZPROBE_CURVE_GARBAGE].zmtp_ready + st->mode[ZPROBE_CURVE_TRUNCATED].zmtp_ready +
           st->mode[ZPROBE_CURVE_REPLAY].zmtp_ready;
}
