package warren.discovery;

import java.time.Instant;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The deterministic rule every blank node applies to its discovered candidates, so that nodes
 * booting in parallel form exactly one cluster instead of one each.
 *
 * <h2>Which node to join: {@link #order}</h2>
 * Candidates are sorted into one total order: first those running in a formed cluster (those
 * with a {@link CandidateInfo}), largest cluster first, then oldest start time, then name; then
 * every other candidate by name. The joining node tries them in that order. This is RabbitMQ's
 * {@code rabbit_peer_discovery} sort, and the reasons are the same:
 * <ul>
 *   <li><b>Largest cluster first</b>, so that a node never joins a lone node that is itself about
 *       to join a bigger cluster; late nodes converge on the cluster that already holds most of
 *       the others.</li>
 *   <li><b>Oldest first</b> among equal sizes, because the node that has been up longest is the
 *       one the other booting nodes have most likely already seen, and a node that restarts gets
 *       a newer start time and does not steal the role. Start times come from different clocks;
 *       skew only changes which of two equally good clusters is preferred, never safety.</li>
 *   <li><b>Name</b> last, compared with {@link String#compareTo} (code-unit order, independent of
 *       locale), so ties break the same way on every node.</li>
 * </ul>
 *
 * <h2>Who may start a new cluster: {@link #mayFormNewCluster}</h2>
 * Only the <em>seed</em>: the candidate with the lowest name, and only while no other candidate
 * is running in a cluster. Every other node must join the seed (or any running cluster) and keep
 * retrying, under the backend's {@link RetryPolicy}, until it answers. The decision deliberately
 * ignores start times and cluster sizes: those exist only for nodes that are already up, so two
 * blank nodes that cannot see each other yet would each conclude that they are the oldest and
 * both form a cluster. The candidate list, by contrast, is the same input on every node (with
 * classic_config it is the same file), so exactly one node can conclude that it is the seed.
 * RabbitMQ's Kubernetes backend makes the same choice with its ordinal-0 pod; its classic backend
 * leans on Erlang's {@code global} locks instead, which Warren does not have.
 *
 * <p>Limits, on purpose: the guarantee needs every node to see the seed in its candidate list. A
 * node that is not in the list is never a seed and only joins. If lists can differ between nodes
 * (DNS records still propagating), use a backend with a lock ({@link PeerDiscovery#lock}). If the
 * seed never starts, no cluster forms: the others retry and then fail, which is safer than two
 * clusters; start the seed or remove it from the list.
 */
public final class FormationOrder {

    private FormationOrder() {
    }

    /**
     * The candidates in the order a joining node should try them; duplicates removed.
     *
     * @param candidates discovered node names, including this node if the backend listed it
     * @param running what each running candidate reported; candidates missing here are treated
     *     as not (yet) running in a cluster. Entries for non-candidates are ignored.
     */
    public static List<String> order(Collection<String> candidates,
            Map<String, CandidateInfo> running) {
        Objects.requireNonNull(running, "running");
        // A candidate that is not running ranks as size 0, started never: after every running one.
        Comparator<String> rule = Comparator
                .comparingInt((String node) -> sizeOf(running.get(node))).reversed()
                .thenComparing(node -> startOf(running.get(node)))
                .thenComparing(Comparator.naturalOrder());
        return distinct(candidates).stream().sorted(rule).toList();
    }

    /** The candidates in name order: {@link #order(Collection, Map)} when nobody is running. */
    public static List<String> order(Collection<String> candidates) {
        return order(candidates, Map.of());
    }

    /**
     * The first candidate of {@link #order(Collection, Map)}: the node to join.
     *
     * @throws IllegalArgumentException when there are no candidates
     */
    public static String seed(Collection<String> candidates, Map<String, CandidateInfo> running) {
        List<String> ordered = order(candidates, running);
        if (ordered.isEmpty()) {
            throw new IllegalArgumentException("no candidates to choose a seed from");
        }
        return ordered.get(0);
    }

    /**
     * The seed when no candidate is running yet: the lowest name.
     *
     * @throws IllegalArgumentException when there are no candidates
     */
    public static String seed(Collection<String> candidates) {
        return seed(candidates, Map.of());
    }

    /**
     * Whether {@code self} may start a new cluster of blank nodes: only when it is the seed (the
     * lowest candidate name). With no candidates at all the node boots standalone, so it may.
     */
    public static boolean mayFormNewCluster(String self, Collection<String> candidates) {
        return mayFormNewCluster(self, candidates, Map.of());
    }

    /**
     * Whether {@code self} may start a new cluster, given what running candidates reported: only
     * when no other candidate is running in a cluster (else join it) and {@code self} is the
     * lowest candidate name. See the class comment for why start times play no part here.
     */
    public static boolean mayFormNewCluster(String self, Collection<String> candidates,
            Map<String, CandidateInfo> running) {
        Objects.requireNonNull(self, "self");
        Objects.requireNonNull(running, "running");
        TreeSet<String> names = distinct(candidates);
        if (names.isEmpty()) {
            return true;
        }
        boolean otherRunning = names.stream()
                .anyMatch(node -> !node.equals(self) && running.containsKey(node));
        return !otherRunning && names.first().equals(self);
    }

    private static int sizeOf(CandidateInfo info) {
        return info == null ? 0 : info.clusterSize();
    }

    private static Instant startOf(CandidateInfo info) {
        return info == null ? Instant.MAX : info.startedAt();
    }

    private static TreeSet<String> distinct(Collection<String> candidates) {
        Objects.requireNonNull(candidates, "candidates");
        TreeSet<String> names = new TreeSet<>();
        for (String candidate : candidates) {
            names.add(Objects.requireNonNull(candidate, "candidate"));
        }
        return names;
    }
}
