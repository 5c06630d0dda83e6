package warren.server.bench;

import com.rabbitmq.client.Channel;
import com.rabbitmq.client.Connection;
import com.rabbitmq.client.ConnectionFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Driver of {@code bin/bench-cluster}: definition changes through a cluster, for Warren and
 * RabbitMQ alike (AMQP 0-9-1 only, RabbitMQ Java client). Not a test: run it with {@code java -cp}.
 *
 * <pre>
 *   churn    --uris U1,U2,U3 [--clients-per-node 2] [--warmup 5] [--seconds 20]
 *            [--durable|--transient] [--pids P1,P2,P3] [--name NAME]
 *       clients-per-node clients on EACH uri (each its own connection and channel) loop
 *       queue.declare + queue.bind (to one direct exchange) + queue.delete on queue names of their
 *       own; operations (3 per loop) are counted in the measured window only
 *   populate --uri U --queues N [--threads 4] [--prefix cb-join-q-] [--exchange cb-join-ex]
 *       declares a durable direct exchange and N durable queues, each bound to it (N bindings)
 *   verify   --uri U --queues N [--prefix cb-join-q-]
 *       passive-declares the N queues through U (fails on the first one missing)
 *   probe    --uri U
 *       prints the broker's product and version
 *   queue    --uri U --name Q (--declare [--durable|--transient] | --delete | --count)
 *       declare (not auto-delete, not exclusive; a queue of that name is deleted first), delete, or
 *       passive-declare Q through U; prints RESULT with its message and consumer counts
 * </pre>
 *
 * Every operation is a synchronous RPC (the client waits for declare-ok / bind-ok / delete-ok), so
 * the rate is what {@code clients} concurrent synchronous clients get, not a pipelined maximum.
 * With {@code --pids} the broker processes' CPU time (from /proc) over the window is reported too,
 * as operations per broker CPU-second, and the CPU everything else on the machine used meanwhile.
 * Prints one machine-readable {@code RESULT} line; exits 1 if any operation failed.
 */
public final class ClusterDefinitionsBench {

    private static final String[] OPS = {"declare", "bind", "delete"};

    private ClusterDefinitionsBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            usage();
        }
        Map<String, String> opt = options(Arrays.copyOfRange(args, 1, args.length));
        switch (args[0]) {
            case "churn" -> churn(opt);
            case "populate" -> populate(opt);
            case "verify" -> verify(opt);
            case "probe" -> probe(opt);
            case "queue" -> queue(opt);
            default -> usage();
        }
    }

    private static void usage() {
        System.err.println("usage: ClusterDefinitionsBench churn --uris U1,U2,U3 [--clients-per-node N] [--warmup S]"
                + " [--seconds S] [--durable|--transient] [--pids P1,P2,P3] [--name NAME]\n"
                + "       ClusterDefinitionsBench populate --uri U --queues N [--threads T] [--prefix P] [--exchange X]\n"
                + "       ClusterDefinitionsBench verify --uri U --queues N [--prefix P]\n"
                + "       ClusterDefinitionsBench probe --uri U\n"
                + "       ClusterDefinitionsBench queue --uri U --name Q (--declare [--durable|--transient] | --delete | --count)");
        System.exit(2);
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                System.err.println("unexpected argument " + a);
                usage();
            }
            String key = a.substring(2);
            if (key.equals("durable") || key.equals("transient")) {
                out.put("durable", String.valueOf(key.equals("durable")));
            } else if (key.equals("declare") || key.equals("delete") || key.equals("count")) {
                out.put("action", key);
            } else if (i + 1 < args.length) {
                out.put(key, args[++i]);
            } else {
                System.err.println("option " + a + " needs a value");
                usage();
            }
        }
        return out;
    }

    private static ConnectionFactory factory(String uri) throws Exception {
        ConnectionFactory cf = new ConnectionFactory();
        cf.setUri(uri);
        cf.setAutomaticRecoveryEnabled(false);
        cf.setTopologyRecoveryEnabled(false);
        cf.setRequestedHeartbeat(0);
        cf.setConnectionTimeout(30_000);
        return cf;
    }

    // ---------------------------------------------------------------- churn

    private static final class Worker extends Thread {
        final int node;
        final String prefix;
        final Channel channel;
        final String exchange;
        final boolean durable;
        final AtomicLong ops = new AtomicLong();
        final long[][] lat = new long[OPS.length][];
        final int[] latCount = new int[OPS.length];
        final AtomicReference<Throwable> error = new AtomicReference<>();
        volatile int phase; // 0 warm-up, 1 measured, 2 stop

        Worker(int node, String prefix, Channel channel, String exchange, boolean durable) {
            super("churn-" + prefix);
            this.node = node;
            this.prefix = prefix;
            this.channel = channel;
            this.exchange = exchange;
            this.durable = durable;
            for (int i = 0; i < OPS.length; i++) {
                lat[i] = new long[1 << 14];
            }
            setDaemon(true);
        }

        @Override
        public void run() {
            Map<String, Object> noArgs = Map.of();
            try {
                for (long i = 0; phase < 2; i++) {
                    String q = prefix + i;
                    for (int op = 0; op < OPS.length; op++) {
                        boolean measured = phase == 1;
                        long t = System.nanoTime();
                        switch (op) {
                            case 0 -> channel.queueDeclare(q, durable, false, false, noArgs);
                            case 1 -> channel.queueBind(q, exchange, q);
                            default -> channel.queueDelete(q);
                        }
                        long took = System.nanoTime() - t;
                        ops.incrementAndGet();
                        if (measured) {
                            record(op, took);
                        }
                    }
                }
            } catch (Throwable e) {
                error.set(e);
            }
        }

        private void record(int op, long nanos) {
            if (latCount[op] == lat[op].length) {
                lat[op] = Arrays.copyOf(lat[op], lat[op].length * 2);
            }
            lat[op][latCount[op]++] = nanos;
        }
    }

    private static void churn(Map<String, String> opt) throws Exception {
        String[] uris = require(opt, "uris").split(",");
        int perNode = Integer.parseInt(opt.getOrDefault("clients-per-node", "2"));
        double warmup = Double.parseDouble(opt.getOrDefault("warmup", "5"));
        double seconds = Double.parseDouble(opt.getOrDefault("seconds", "20"));
        boolean durable = Boolean.parseBoolean(opt.getOrDefault("durable", "false"));
        String name = opt.getOrDefault("name", "broker");
        long[] pids = opt.containsKey("pids")
                ? Arrays.stream(opt.get("pids").split(",")).mapToLong(Long::parseLong).toArray()
                : new long[0];
        String variant = durable ? "durable" : "transient";
        String exchange = "cb-churn-ex-" + variant;

        List<Connection> connections = new ArrayList<>();
        List<Worker> workers = new ArrayList<>();
        try {
            Connection admin = factory(uris[0]).newConnection("cluster-bench-admin");
            connections.add(admin);
            admin.createChannel().exchangeDeclare(exchange, "direct", durable, false, null);
            for (int n = 0; n < uris.length; n++) {
                awaitExchange(uris[n], exchange);
                for (int c = 0; c < perNode; c++) {
                    Connection conn = factory(uris[n]).newConnection("cluster-bench-churn");
                    connections.add(conn);
                    String prefix = "cb-churn-" + variant + "-n" + (n + 1) + "c" + (c + 1) + "-"
                            + Long.toString(System.nanoTime() & 0xffffff, 36) + "-";
                    workers.add(new Worker(n, prefix, conn.createChannel(), exchange, durable));
                }
            }
            workers.forEach(Thread::start);
            Thread.sleep((long) (warmup * 1000));
            failFast(workers);

            long[] opsBefore = workers.stream().mapToLong(w -> w.ops.get()).toArray();
            long brokerBefore = cpuTicks(pids);
            long selfBefore = selfTicks();
            long[] machineBefore = machineTicks();
            long t0 = System.nanoTime();
            workers.forEach(w -> w.phase = 1);
            Thread.sleep((long) (seconds * 1000));
            workers.forEach(w -> w.phase = 2);
            long t1 = System.nanoTime();
            long[] opsAfter = workers.stream().mapToLong(w -> w.ops.get()).toArray();
            long brokerAfter = cpuTicks(pids);
            long selfAfter = selfTicks();
            long[] machineAfter = machineTicks();
            int stuck = 0;
            for (Worker w : workers) {
                w.join(15_000);
                stuck += w.isAlive() ? 1 : 0; // an RPC that never got its reply
            }
            failFast(workers);
            int stalled = 0; // clients that completed no operation in the measured window
            for (int i = 0; i < workers.size(); i++) {
                stalled += opsAfter[i] == opsBefore[i] ? 1 : 0;
            }

            double secs = (t1 - t0) / 1e9;
            long total = 0;
            long[] perNodeOps = new long[uris.length];
            for (int i = 0; i < workers.size(); i++) {
                long d = opsAfter[i] - opsBefore[i];
                total += d;
                perNodeOps[workers.get(i).node] += d;
            }
            StringBuilder sb = new StringBuilder();
            sb.append(String.format("RESULT name=%s what=churn-%s nodes=%d clients=%d seconds=%.2f ops=%d ops_per_s=%.0f",
                    name, variant, uris.length, workers.size(), secs, total, total / secs));
            sb.append(" per_node_ops_per_s=");
            for (int n = 0; n < uris.length; n++) {
                sb.append(n == 0 ? "" : "/").append(String.format("%.0f", perNodeOps[n] / secs));
            }
            for (int op = 0; op < OPS.length; op++) {
                int opIndex = op;
                long[] all = workers.stream()
                        .flatMapToLong(w -> Arrays.stream(w.lat[opIndex], 0, w.latCount[opIndex]))
                        .sorted().toArray();
                sb.append(String.format(" %s_p50_us=%d %s_p99_us=%d", OPS[op], pct(all, 0.5) / 1000, OPS[op],
                        pct(all, 0.99) / 1000));
            }
            if (pids.length > 0 && brokerBefore >= 0 && brokerAfter >= 0) {
                double hz = 100.0; // USER_HZ on Linux
                double brokerCpu = (brokerAfter - brokerBefore) / hz;
                double selfCpu = (selfAfter - selfBefore) / hz;
                double machineBusy = (machineAfter[0] - machineBefore[0]) / hz;
                double other = Math.max(0, machineBusy - brokerCpu - selfCpu);
                sb.append(String.format(" broker_cpu_s=%.2f ops_per_broker_cpu_s=%.0f broker_cores=%.2f"
                                + " driver_cores=%.2f other_cores=%.2f",
                        brokerCpu, brokerCpu > 0 ? total / brokerCpu : 0, brokerCpu / secs, selfCpu / secs,
                        other / secs));
            }
            sb.append(String.format(" stalled_clients=%d stuck_clients=%d errors=%d", stalled, stuck,
                    stalled + stuck));
            System.out.println(sb);
            if (stalled + stuck > 0) {
                System.err.println(stalled + " client(s) made no progress in the measured window, " + stuck
                        + " still waited for a reply 15 s after it: a definition change was never answered");
                System.exit(1);
            }

            Channel ch = admin.createChannel();
            ch.exchangeDelete(exchange);
        } finally {
            for (Connection c : connections) {
                try {
                    c.close(10_000);
                } catch (Exception ignored) {
                    // best effort
                }
            }
        }
    }

    private static void failFast(List<Worker> workers) {
        for (Worker w : workers) {
            Throwable e = w.error.get();
            if (e != null) {
                System.out.println("RESULT errors=1 error=" + String.valueOf(e).replace(' ', '_'));
                e.printStackTrace();
                System.exit(1);
            }
        }
    }

    /** Waits until {@code exchange} is visible through {@code uri} (a change agreed through another node). */
    private static void awaitExchange(String uri, String exchange) throws Exception {
        long deadline = System.nanoTime() + 30_000_000_000L;
        try (Connection c = factory(uri).newConnection("cluster-bench-await")) {
            while (true) {
                Channel ch = c.createChannel();
                try {
                    ch.exchangeDeclarePassive(exchange);
                    ch.close();
                    return;
                } catch (IOException e) {
                    if (System.nanoTime() > deadline) {
                        throw e;
                    }
                    Thread.sleep(20);
                }
            }
        }
    }

    // ---------------------------------------------------------------- join support

    private static void populate(Map<String, String> opt) throws Exception {
        String uri = require(opt, "uri");
        int queues = Integer.parseInt(require(opt, "queues"));
        int threads = Integer.parseInt(opt.getOrDefault("threads", "4"));
        String prefix = opt.getOrDefault("prefix", "cb-join-q-");
        String exchange = opt.getOrDefault("exchange", "cb-join-ex");
        long t0 = System.nanoTime();
        try (Connection admin = factory(uri).newConnection("cluster-bench-populate")) {
            admin.createChannel().exchangeDeclare(exchange, "direct", true, false, null);
        }
        List<Thread> all = new ArrayList<>();
        AtomicReference<Throwable> error = new AtomicReference<>();
        for (int t = 0; t < threads; t++) {
            int first = t;
            Thread th = new Thread(() -> {
                try (Connection c = factory(uri).newConnection("cluster-bench-populate")) {
                    Channel ch = c.createChannel();
                    for (int i = first; i < queues; i += threads) {
                        String q = prefix + i;
                        ch.queueDeclare(q, true, false, false, null);
                        ch.queueBind(q, exchange, q);
                    }
                } catch (Throwable e) {
                    error.set(e);
                }
            });
            th.start();
            all.add(th);
        }
        for (Thread th : all) {
            th.join();
        }
        if (error.get() != null) {
            error.get().printStackTrace();
            System.exit(1);
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        System.out.printf("RESULT what=populate queues=%d bindings=%d seconds=%.2f ops_per_s=%.0f%n", queues, queues,
                secs, 2 * queues / secs);
    }

    private static void verify(Map<String, String> opt) throws Exception {
        String uri = require(opt, "uri");
        int queues = Integer.parseInt(require(opt, "queues"));
        String prefix = opt.getOrDefault("prefix", "cb-join-q-");
        long t0 = System.nanoTime();
        try (Connection c = factory(uri).newConnection("cluster-bench-verify")) {
            Channel ch = c.createChannel();
            for (int i = 0; i < queues; i++) {
                ch.queueDeclarePassive(prefix + i);
            }
        }
        System.out.printf("RESULT what=verify queues=%d seconds=%.2f%n", queues, (System.nanoTime() - t0) / 1e9);
    }

    private static void probe(Map<String, String> opt) throws Exception {
        try (Connection c = factory(require(opt, "uri")).newConnection("cluster-bench-probe")) {
            Map<String, Object> p = c.getServerProperties();
            System.out.println(p.get("product") + " " + p.get("version"));
        }
    }

    private static void queue(Map<String, String> opt) throws Exception {
        String name = require(opt, "name");
        String action = require(opt, "action");
        try (Connection c = factory(require(opt, "uri")).newConnection("cluster-bench-queue")) {
            Channel ch = c.createChannel();
            long messages = -1;
            long consumers = -1;
            switch (action) {
                case "declare" -> {
                    ch.queueDelete(name);
                    var ok = ch.queueDeclare(name, Boolean.parseBoolean(opt.getOrDefault("durable", "false")), false,
                            false, null);
                    messages = ok.getMessageCount();
                    consumers = ok.getConsumerCount();
                }
                case "delete" -> messages = ch.queueDelete(name).getMessageCount();
                default -> {
                    var ok = ch.queueDeclarePassive(name);
                    messages = ok.getMessageCount();
                    consumers = ok.getConsumerCount();
                }
            }
            System.out.printf("RESULT what=queue action=%s name=%s messages=%d consumers=%d%n", action, name, messages,
                    consumers);
        }
    }

    // ---------------------------------------------------------------- helpers

    private static String require(Map<String, String> opt, String key) {
        String v = opt.get(key);
        if (v == null) {
            System.err.println("missing --" + key);
            usage();
        }
        return v;
    }

    static long pct(long[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        int idx = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, idx))];
    }

    /** utime + stime of the processes, in clock ticks; -1 if one of them is gone. */
    private static long cpuTicks(long[] pids) {
        long sum = 0;
        for (long pid : pids) {
            long t = ticksOf(Path.of("/proc/" + pid + "/stat"));
            if (t < 0) {
                return -1;
            }
            sum += t;
        }
        return sum;
    }

    private static long selfTicks() {
        return Math.max(0, ticksOf(Path.of("/proc/self/stat")));
    }

    private static long ticksOf(Path stat) {
        try {
            String s = Files.readString(stat);
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
            // fields after "(comm)": state is index 0, utime is field 14 of the whole line (index 11 here)
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** {busy, total} ticks of the whole machine from /proc/stat. */
    private static long[] machineTicks() {
        try {
            String[] f = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
            long total = 0;
            long idle = 0;
            for (int i = 1; i < f.length && i <= 8; i++) {
                long v = Long.parseLong(f[i]);
                total += v;
                if (i == 4 || i == 5) {
                    idle += v; // idle, iowait
                }
            }
            return new long[] {total - idle, total};
        } catch (IOException | RuntimeException e) {
            return new long[] {0, 0};
        }
    }
}
