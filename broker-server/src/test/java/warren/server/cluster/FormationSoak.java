package warren.server.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * The formation soak (issue #12): boots three blank nodes in parallel N times per backend, each
 * round a fresh run of the same scenario as the backend's formation test (so each round asserts ONE
 * cluster, one cluster id and state 'formed' on every node), and prints a summary line per backend.
 * Not part of {@code mvn -B test} (the class name matches neither *Test nor *IT); run it with
 *
 * <pre>
 * mvn -B test -pl broker-server -am -Dtest=FormationSoak -Dsurefire.failIfNoSpecifiedTests=false \
 *     -Dwarren.soak.rounds=50 [-Dwarren.soak.backends=dns,etcd,...]
 * </pre>
 *
 * Rounds go round-robin over the backends; the summary is rewritten to
 * {@code broker-server/target/formation-soak.txt} after every round, so a soak cut short keeps its counts.
 */
class FormationSoak {

    private interface Round {
        void run(Path dir) throws Exception;
    }

    private static final int ROUNDS = Integer.getInteger("warren.soak.rounds", 50);
    private static final Map<String, Round> SCENARIOS = new LinkedHashMap<>();
    private static final Map<String, List<Double>> PASSED = new ConcurrentHashMap<>();
    private static final Map<String, List<String>> FAILED = new ConcurrentHashMap<>();

    private interface Body<T> {
        void accept(T it) throws Exception;
    }

    /** A round: a fresh test instance on {@code dir}, its test method, then its @AfterEach. */
    private static <T> Round round(java.util.function.Function<Path, T> make, Body<T> test, Body<T> stop) {
        return dir -> {
            T it = make.apply(dir);
            try {
                test.accept(it);
            } finally {
                stop.accept(it);
            }
        };
    }

    private static <T> T with(T it, java.util.function.Consumer<T> setDir) {
        setDir.accept(it);
        return it;
    }

    static {
        SCENARIOS.put("classic_config", round(d -> with(new ClassicConfigFormationIT(), it -> it.root = d),
                it -> it.bootRound(1), ClassicConfigFormationIT::stopAll));
        SCENARIOS.put("dns", round(d -> with(new DnsFormationIT(), it -> it.dir = d),
                DnsFormationIT::aAaaaAndPtrRecordsOfOneNameFormOneClusterOfHostsOnlyDnsKnows, DnsFormationIT::stopAll));
        SCENARIOS.put("dns-srv", round(d -> with(new DnsFormationIT(), it -> it.dir = d),
                DnsFormationIT::srvRecordsFormOneCluster, DnsFormationIT::stopAll));
        SCENARIOS.put("etcd", round(d -> with(new EtcdFormationIT(), it -> it.dir = d),
                EtcdFormationIT::threeBlankNodesInParallelFormOneClusterRegisteredAtTheDocumentedPath,
                EtcdFormationIT::stopAll));
        SCENARIOS.put("consul", round(d -> with(new ConsulFormationIT(), it -> it.dir = d),
                ConsulFormationIT::threeBlankNodesInParallelRegisterPassingAndFormOneCluster, ConsulFormationIT::stopAll));
        SCENARIOS.put("k8s-api", round(d -> with(new KubernetesFormationIT(), it -> it.dir = d),
                KubernetesFormationIT::apiModeFormsOneClusterFromNotReadyEndpoints, KubernetesFormationIT::stopAll));
        SCENARIOS.put("k8s-statefulset", round(d -> with(new KubernetesFormationIT(), it -> it.dir = d),
                KubernetesFormationIT::statefulSetModeFormsOneClusterAroundOrdinalZeroWithoutTheApi,
                KubernetesFormationIT::stopAll));
        SCENARIOS.put("aws-tags", round(d -> with(new AwsFormationIT(), it -> it.dir = d),
                AwsFormationIT::instanceTagsFormOneCluster, AwsFormationIT::stopAll));
        SCENARIOS.put("aws-asg", round(d -> with(new AwsFormationIT(), it -> it.dir = d),
                AwsFormationIT::autoScalingGroupWithTheInstanceRoleFormsOneCluster, AwsFormationIT::stopAll));
    }

    @TestFactory
    Stream<DynamicTest> threeBlankNodesInParallelFormOneClusterEveryRound() {
        String only = System.getProperty("warren.soak.backends", "");
        List<String> backends = only.isBlank() ? List.copyOf(SCENARIOS.keySet()) : Arrays.asList(only.split(","));
        List<DynamicTest> tests = new ArrayList<>();
        for (String backend : backends) {
            if (!SCENARIOS.containsKey(backend.trim())) {
                throw new IllegalArgumentException("-Dwarren.soak.backends: unknown '" + backend + "'; known: "
                        + SCENARIOS.keySet());
            }
        }
        // round by round across the backends, so a soak cut short has a comparable count for each
        for (int i = 1; i <= ROUNDS; i++) {
            int n = i;
            for (String backend : backends) {
                Round round = SCENARIOS.get(backend.trim());
                tests.add(DynamicTest.dynamicTest(backend + " round " + n, () -> runRound(backend.trim(), n, round)));
            }
        }
        return tests.stream();
    }

    private static void runRound(String backend, int n, Round round) throws Exception {
        Path dir = Files.createTempDirectory("formation-soak-" + backend + "-" + n + "-");
        long began = System.nanoTime();
        try {
            round.run(dir);
            PASSED.computeIfAbsent(backend, b -> new java.util.concurrent.CopyOnWriteArrayList<>())
                    .add((System.nanoTime() - began) / 1e9);
            deleteTree(dir);
        } catch (Exception | AssertionError e) {
            // the round's directory (node logs, configs) is kept for the post-mortem; the full error is appended
            String first = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
            FAILED.computeIfAbsent(backend, b -> new java.util.concurrent.CopyOnWriteArrayList<>())
                    .add("round " + n + ": " + first + " (kept " + dir + ")");
            java.io.StringWriter trace = new java.io.StringWriter();
            e.printStackTrace(new java.io.PrintWriter(trace));
            Files.writeString(Path.of("target", "formation-soak-failures.txt"), "=== " + backend + " round " + n
                    + " (" + dir + ")\n" + trace + "\n", java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
            throw e;
        } finally {
            summary(); // after every round: a soak cut short keeps its results
        }
    }

    static synchronized void summary() throws IOException {
        StringBuilder b = new StringBuilder();
        for (String backend : SCENARIOS.keySet()) {
            List<Double> ok = PASSED.getOrDefault(backend, List.of());
            List<String> bad = FAILED.getOrDefault(backend, List.of());
            if (ok.isEmpty() && bad.isEmpty()) {
                continue;
            }
            double mean = ok.stream().mapToDouble(Double::doubleValue).average().orElse(0);
            double max = ok.stream().mapToDouble(Double::doubleValue).max().orElse(0);
            b.append(String.format("%-16s %3d rounds, one cluster %3d, failed %d, mean %.1f s, max %.1f s%n", backend,
                    ok.size() + bad.size(), ok.size(), bad.size(), mean, max));
            bad.forEach(f -> b.append("    ").append(f).append('\n'));
        }
        Path out = Path.of("target", "formation-soak.txt");
        Files.createDirectories(out.getParent());
        Files.writeString(out, b.toString());
    }

    @AfterAll
    static void printSummary() throws IOException {
        System.out.print("FormationSoak summary:\n" + Files.readString(Path.of("target", "formation-soak.txt")));
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> all = Files.walk(dir)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
