/* zaio_sendiov and zaio_recviov with libzmq 4.3.4's behaviour: a frame per buffer,
 * SNDMORE from the caller joining them into one message, received frames in malloc'd
 * buffers, *count frames at most per call. */
#include "tcp_helpers.h"

#include <sys/uio.h>

static struct iovec iov_str(const char *s) { return (struct iovec){(void *)s, strlen(s)}; }

static void iov_free(struct iovec *iov, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(iov[i].iov_base);
}

static bool iov_is(const struct iovec *v, const char *s)
{
    return v->iov_len == strlen(s) && memcmp(v->iov_base, s, v->iov_len) == 0;
}

static void pair_over(void *ctx, bool tcp, void **a, void **b)
{
    char ep[64];
    if (tcp) {
        th_tcp_pair(ctx, ZAIO_PAIR, ZAIO_PAIR, a, b, ep, sizeof ep);
        return;
    }
    *a = th_socket(ctx, ZAIO_PAIR);
    *b = th_socket(ctx, ZAIO_PAIR);
    th_bind(*a, "inproc://iov", ep, sizeof ep);
    th_connect(*b, "inproc://iov");
}

static void multipart_round_trip(bool tcp)
{
    void *ctx = zaio_ctx_new();
    void *a, *b;
    pair_over(ctx, tcp, &a, &b);
    struct iovec out[3] = {iov_str("first"), iov_str(""), iov_str("third part")};
    zt_assert(zaio_sendiov(b, out, 3, ZAIO_SNDMORE) == 10, "returns the last frame's size");
    struct iovec in[8];
    size_t n = 8;
    zt_assert(zaio_recviov(a, in, &n, 0) == 3 && n == 3, "three frames: %zu", n);
    zt_assert(iov_is(&in[0], "first") && iov_is(&in[1], "") && iov_is(&in[2], "third part"),
              "contents");
    zt_assert(in[1].iov_base != NULL, "an empty frame still gets a buffer to free");
    iov_free(in, n);
    int more = 1;
    size_t len = sizeof more;
    zaio_getsockopt(a, ZAIO_RCVMORE, &more, &len);
    zt_assert(more == 0, "the message is whole");
    zaio_close(a);
    zaio_close(b);
    th_term(ctx);
}

ZT_TEST(iov, multipart_round_trip_inproc, 10) { multipart_round_trip(false); }
ZT_TEST(iov, multipart_round_trip_tcp, 10) { multipart_round_trip(true); }

ZT_TEST(iov, without_sndmore_each_buffer_is_a_message, 10)
{
    void *ctx = zaio_ctx_new();
    void *a, *b;
    pair_over(ctx, false, &a, &b);
    struct iovec out[3] = {iov_str("one"), iov_str("two"), iov_str("three")};
    zt_assert(zaio_sendiov(b, out, 3, 0) == 5, "sent");
    const char *want[] = {"one", "two", "three"};
    for (int i = 0; i < 3; i++) {
        struct iovec in[4];
        size_t n = 4;
        zt_assert(zaio_recviov(a, in, &n, 0) == 1 && n == 1 && iov_is(&in[0], want[i]),
                  "message %d on its own", i);
        iov_free(in, n);
    }
    zaio_close(a);
    zaio_close(b);
    th_term(ctx);
}

ZT_TEST(iov, count_limits_a_receive, 10)
{
    void *ctx = zaio_ctx_new();
    void *a, *b;
    pair_over(ctx, false, &a, &b);
    struct iovec out[3] = {iov_str("a"), iov_str("b"), iov_str("c")};
    zt_assert(zaio_sendiov(b, out, 3, ZAIO_SNDMORE) == 1, "sent");
    struct iovec in[2];
    size_t n = 2;
    zt_assert(zaio_recviov(a, in, &n, 0) == 2 && n == 2, "two of three");
    zt_assert(iov_is(&in[0], "a") && iov_is(&in[1], "b"), "the first two");
    iov_free(in, n);
    int more = 0;
    size_t len = sizeof more;
    zaio_getsockopt(a, ZAIO_RCVMORE, &more, &len);
    zt_assert(more == 1, "the rest is waiting");
    n = 2;
    zt_assert(zaio_recviov(a, in, &n, 0) == 1 && n == 1 && iov_is(&in[0], "c"), "the third");
    iov_free(in, n);
    zaio_close(a);
    zaio_close(b);
    th_term(ctx);
}

ZT_TEST(iov, errors, 10)
{
    void *ctx = zaio_ctx_new();
    void *a, *b;
    pair_over(ctx, false, &a, &b);
    struct iovec v[2] = {iov_str("x"), iov_str("y")};
    size_t n = 2;
    zt_assert(zaio_recviov(a, v, &n, ZAIO_DONTWAIT) == -1 && zaio_errno() == EAGAIN && n == 0,
              "nothing to receive: count 0");
    zt_assert(zaio_sendiov(b, v, 0, 0) == -1 && zaio_errno() == EINVAL, "no buffers");
    zt_assert(zaio_sendiov(b, NULL, 2, 0) == -1 && zaio_errno() == EINVAL, "NULL iov");
    n = 0;
    zt_assert(zaio_recviov(a, v, &n, 0) == -1 && zaio_errno() == EINVAL, "count 0");
    zt_assert(zaio_recviov(a, v, NULL, 0) == -1 && zaio_errno() == EINVAL, "NULL count");
    int not_a_socket = 0;
    n = 2;
    zt_assert(zaio_sendiov(&not_a_socket, v, 2, 0) == -1 && zaio_errno() == ENOTSOCK, "send");
    zt_assert(zaio_recviov(NULL, v, &n, 0) == -1 && zaio_errno() == ENOTSOCK, "recv");
    void *pull = th_socket(ctx, ZAIO_PULL);
    zt_assert(zaio_sendiov(pull, v, 2, 0) == -1 && zaio_errno() == ENOTSUP, "PULL cannot send");
    zaio_close(pull);
    zaio_close(a);
    zaio_close(b);
    th_term(ctx);
}
