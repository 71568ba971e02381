/* Release paths 4-7: the listener's pre-created accept socket (AcceptEx semantics) is
 * owned by the pending accept, released on every failure, freed only after the aborted
 * completion when the listener closes, and handed to the user exactly once. */
#include "harness.h"

#include <errno.h>
#include <string.h>

ZT_TEST(path4_accept_submit_fails, accept_socket_released_listener_goes_on, 30)
{
    aio_port *p = h_port();
    h_rec lr = {0};
    struct sockaddr_storage addr;
    socklen_t len;
    aio_socket *l = h_listener(p, h_record, &lr, &addr, &len, 16);

    aio_fault_arm(p, AIO_FAULT_SUBMIT_ERROR, AIO_OP_ACCEPT, -EMFILE);
    zt_assert(aio_accept(l) == 0, "accept");
    h_poll_until(p, &lr.n, 1, 5000);
    zt_assert(lr.c[0].status == -EMFILE && lr.c[0].accepted == NULL, "status %s",
              aio_strerror(lr.c[0].status));
    zt_assert(h_stats().accept_sockets == 0, "the pre-created accept socket was not released");
    zt_assert(h_stats().sockets == 1, "only the listener is alive");

    /* the listener keeps accepting */
    zt_assert(aio_accept(l) == 0, "accept again");
    cli_fd c = h_cli_connect(&addr, len);
    h_poll_until(p, &lr.n, 2, 5000);
    zt_assert(lr.c[1].status == 0 && lr.naccepted == 1, "second accept: %s",
              aio_strerror(lr.c[1].status));
    aio_close(lr.accepted[0]);
    aio_close(l);
    h_cli_close(c);
    h_finish(p);
}

ZT_TEST(path4_accept_submit_fails, creating_the_accept_socket_fails, 30)
{
    aio_port *p = h_port();
    h_rec lr = {0};
    struct sockaddr_storage addr;
    socklen_t len;
    aio_socket *l = h_listener(p, h_record, &lr, &addr, &len, 16);
    aio_fault_arm(p, AIO_FAULT_ACCEPT_SOCKET, AIO_OP_ACCEPT, -ENFILE);
    zt_assert(aio_accept(l) == 0, "accept");
    h_poll_until(p, &lr.n, 1, 5000);
    zt_assert(lr.c[0].status == -ENFILE, "status %s", aio_strerror(lr.c[0].status));
    zt_assert(h_stats().accept_sockets == 0 && h_stats().ops_in_flight == 0, "released");
    zt_assert(aio_accept(l) == 0, "accept again");
    cli_fd c = h_cli_connect(&addr, len);
    h_poll_until(p, &lr.n, 2, 5000);
    zt_assert(lr.naccepted == 1, "the listener goes on");
    aio_close(lr.accepted[0]);
    aio_close(l);
    h_cli_close(c);
    h_finish(p);
}

/* Path 5: the accept completes with an error because the peer reset first. On Windows
 * AcceptEx says ERROR_NETNAME_DELETED; Linux hands the reset connection over, so the
 * error is injected on the completion of a real accepted connection, whose descriptor
 * must be closed with the accept socket. */
ZT_TEST(path5_accept_completes_with_error, accept_socket_released, 30)
{
    aio_port *p = h_port();
    h_rec lr = {0};
    struct sockaddr_storage addr;
    socklen_t len;
    aio_socket *l = h_listener(p, h_record, &lr, &addr, &len, 16);
    int fds0 = h_open_fds();

    aio_fault_arm(p, AIO_FAULT_COMPLETE_ERROR, AIO_OP_ACCEPT, -ECONNABORTED);
    zt_assert(aio_accept(l) == 0, "accept");
    cli_fd c = h_cli_connect(&addr, len);
    h_cli_close_rst(c);
    h_poll_until(p, &lr.n, 1, 5000);
    zt_assert(lr.c[0].status == -ECONNABORTED && !lr.c[0].accepted, "status %s",
              aio_strerror(lr.c[0].status));
    zt_assert(h_stats().accept_sockets == 0 && h_stats().sockets == 1, "accept socket released");
    int fds1 = h_open_fds();
    zt_assert(fds0 == fds1, "descriptors leaked: %d -> %d", fds0, fds1);

    zt_assert(aio_accept(l) == 0, "accept again");
    c = h_cli_connect(&addr, len);
    h_poll_until(p, &lr.n, 2, 5000);
    zt_assert(lr.naccepted == 1, "the listener goes on");
    aio_close(lr.accepted[0]);
    aio_close(l);
    h_cli_close(c);
    h_finish(p);
}

/* Path 6: AsyncIO freed the accept buffer before the aborted AcceptEx completed. Here
 * the accept socket (and the record with its address buffer) outlives aio_close until
 * the aborted completion has been processed. */
ZT_TEST(path6_listener_closed_with_accept_pending, freed_after_aborted_completion, 30)
{
    aio_port *p = h_port();
    h_rec lr = {0};
    struct sockaddr_storage addr;
    socklen_t len;
    aio_socket *l = h_listener(p, h_record, &lr, &addr, &len, 16);
    zt_assert(aio_accept(l) == 0, "accept");
    h_poll(p, 0); /* let the backend take the op */
    aio_stats st = h_stats();
    zt_assert(st.accept_sockets == 1 && st.ops_in_flight == 1, "accept pending");

    aio_close(l);
    st = h_stats();
    zt_assert(st.accept_sockets == 1 && st.sockets == 2,
              "freed before the aborted completion (accept sockets %lld sockets %lld)",
              (long long)st.accept_sockets, (long long)st.sockets);
    zt_assert(st.cancels >= 1, "the pending accept was cancelled");
    h_poll_until_freed(p, 5000);
    st = h_stats();
    zt_assert(st.accept_sockets == 0 && st.ops_in_flight == 0, "released after the completion");
    zt_assert(lr.n == 0, "the aborted accept reached the handler of a closed listener");
    h_finish(p);
}

/* Path 7: the accepted socket changes owner once, and works. */
ZT_TEST(path7_accept_succeeds, ownership_passes_once, 30)
{
    aio_port *p = h_port();
    h_rec lr = {0}, sr = {0};
    struct sockaddr_storage addr;
    socklen_t len;
    aio_socket *l = h_listener(p, h_record, &lr, &addr, &len, 16);
    zt_assert(aio_accept(l) == 0, "accept");
    cli_fd c = h_cli_connect(&addr, len);
    h_poll_until(p, &lr.n, 1, 5000);
    zt_assert(lr.n == 1 && lr.naccepted == 1 && lr.c[0].status == 0, "one accept completion");
    aio_socket *s = lr.accepted[0];
    zt_assert(aio_socket_key(s) == &lr, "an accepted socket starts with the listener's key");
    aio_stats st = h_stats();
    zt_assert(st.accept_sockets == 0 && st.sockets == 2, "owned by the user now");

    aio_socket_set_handler(s, h_record, &sr);
    aio_buf *b;
    zt_assert(aio_buf_new(16, &b) == 0, "buf");
    zt_assert(aio_recv(s, b, 0, 16) == 0, "recv");
    h_cli_send(c, "hello", 5);
    h_poll_until(p, &sr.n, 1, 5000);
    zt_assert(sr.c[0].status == 0 && sr.c[0].bytes == 5 && memcmp(aio_buf_data(b), "hello", 5) == 0,
              "data through the accepted socket");
    zt_assert(lr.n == 1, "the accept was reported once");
    aio_buf_unref(b);
    aio_close(s);
    aio_close(l);
    h_cli_close(c);
    h_finish(p);
}
