// JeromqPeer - the JeroMQ 0.3.6 side of zaio's older-peers interop tests. JeroMQ 0.3.6
// (Debian's libjeromq-java) greets as ZMTP 2.0. Scripted by its arguments; a line on
// stdout tells the C test what happened, and the exit status says whether it went well.
//
//   JeromqPeer TYPE bind|connect ENDPOINT COUNT [GAP_MS]
//
// bind: binds ENDPOINT's host on a random port and prints "ENDPOINT tcp://host:port".
// Then, by type (the zaio side does the other half):
//   REQ     COUNT requests "req-i", each reply must be "rep:req-i"; GAP_MS between them
//   REP     COUNT times: a request m, the reply "rep:" + m
//   DEALER  COUNT messages "d-i", then COUNT replies, each "echo:d-i" in order
//   ROUTER  COUNT times: [id, m] in, [id, "echo:" + m] out
//   PUSH    COUNT messages "p-i"
//   PULL    COUNT messages, each "p-i" in order
//   PUB     "A:i" and "B:i" every 10 ms until a byte arrives on stdin
//   SUB     subscribes to "A"; COUNT messages, each must start with "A:"
// Ends with "DONE ok" (exit 0) or "FAIL why" (exit 1). Every receive times out after
// 10 s, so a peer that never answers fails instead of hanging the test.
import org.zeromq.ZMQ;

public class JeromqPeer {
    static void fail(String why) {
        System.out.println("FAIL " + why);
        System.out.flush();
        System.exit(1);
    }

    static String recv(ZMQ.Socket s, String what) {
        String m = s.recvStr();
        if (m == null)
            fail("timed out waiting for " + what);
        return m;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 4)
            fail("usage: JeromqPeer TYPE bind|connect ENDPOINT COUNT [GAP_MS]");
        String type = args[0];
        int count = Integer.parseInt(args[3]);
        long gap = args.length > 4 ? Long.parseLong(args[4]) : 0;
        ZMQ.Context ctx = ZMQ.context(1);
        int t;
        switch (type) {
        case "REQ": t = ZMQ.REQ; break;
        case "REP": t = ZMQ.REP; break;
        case "DEALER": t = ZMQ.DEALER; break;
        case "ROUTER": t = ZMQ.ROUTER; break;
        case "PUSH": t = ZMQ.PUSH; break;
        case "PULL": t = ZMQ.PULL; break;
        case "PUB": t = ZMQ.PUB; break;
        case "SUB": t = ZMQ.SUB; break;
        default: fail("unknown type " + type); return;
        }
        ZMQ.Socket s = ctx.socket(t);
        s.setLinger(1000);
        s.setReceiveTimeOut(10000);
        if (t == ZMQ.SUB)
            s.subscribe("A".getBytes(ZMQ.CHARSET));
        if (args[1].equals("bind")) {
            String host = args[2].replaceAll(":[^:]*$", "");
            int port = s.bindToRandomPort(host);
            System.out.println("ENDPOINT " + host + ":" + port);
            System.out.flush();
        } else {
            s.connect(args[2]);
        }
        switch (t) {
        case ZMQ.REQ:
            for (int i = 0; i < count; i++) {
                String q = "req-" + i;
                s.send(q);
                String r = recv(s, "reply " + i);
                if (!r.equals("rep:" + q))
                    fail("reply " + i + " is " + r);
                if (gap > 0)
                    Thread.sleep(gap); // the long-lived test's pace, not a race fix
            }
            break;
        case ZMQ.REP:
            for (int i = 0; i < count; i++)
                s.send("rep:" + recv(s, "request " + i));
            break;
        case ZMQ.DEALER:
            for (int i = 0; i < count; i++)
                s.send("d-" + i);
            for (int i = 0; i < count; i++) {
                String r = recv(s, "echo " + i);
                if (!r.equals("echo:d-" + i))
                    fail("echo " + i + " is " + r);
            }
            break;
        case ZMQ.ROUTER:
            for (int i = 0; i < count; i++) {
                byte[] id = s.recv();
                if (id == null || !s.hasReceiveMore())
                    fail("no routed message " + i);
                String m = recv(s, "body " + i);
                s.sendMore(id);
                s.send("echo:" + m);
            }
            break;
        case ZMQ.PUSH:
            for (int i = 0; i < count; i++)
                s.send("p-" + i);
            break;
        case ZMQ.PULL:
            for (int i = 0; i < count; i++) {
                String m = recv(s, "message " + i);
                if (!m.equals("p-" + i))
                    fail("message " + i + " is " + m);
            }
            break;
        case ZMQ.PUB:
            for (int i = 0; System.in.available() == 0; i++) {
                s.send("A:" + i);
                s.send("B:" + i);
                Thread.sleep(10); // a publisher's pace, until the test has had enough
            }
            break;
        case ZMQ.SUB:
            for (int i = 0; i < count; i++) {
                String m = recv(s, "publication " + i);
                if (!m.startsWith("A:"))
                    fail("unsubscribed topic arrived: " + m);
            }
            break;
        }
        System.out.println("DONE ok");
        System.out.flush();
        s.close();
        ctx.term();
    }
}
