package warren.server;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * The named state of this node's cluster formation, for {@code warrenctl formation_status}: the
 * one place that answers "why didn't my node join?". It lives with the daemon, so it answers while
 * the app is still booting (the control listener is up first), and it is updated by the formation
 * flow as it goes: registered, discovering (attempt n/m), waiting for the lock held by X, joining Y
 * (attempt n/m), rejoining last-seen peers, refused by Y because Z, formed, standalone, failed.
 */
final class FormationStatus {

    /** The states, in the order a blank node usually passes them. */
    enum State {
        /** The app has not started formation yet. */
        BOOTING,
        /** This node entered the backend's registry (etcd, Consul). */
        REGISTERED,
        /** Asking the backend for peers; attempt n of m. */
        DISCOVERING,
        /** Waiting for the backend's formation lock, held by another node. */
        WAITING_FOR_LOCK,
        /** Connecting to a discovered peer's cluster; attempt n of m. */
        JOINING,
        /** A member restarting: waiting for the peers it saw running last. */
        REJOINING,
        /** A peer refused this node (wrong cookie, forgotten member). */
        REFUSED,
        /** In a cluster with other members, or the seed that formed one. */
        FORMED,
        /** The backend listed no other node; a cluster of one. */
        STANDALONE,
        /** Formation gave up; the reason is in the detail. */
        FAILED,
        /** The app is stopped (stop_app), the node stays up. */
        STOPPED;

        String label() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private State state = State.BOOTING;
    private String detail = "";
    private int attempt;
    private int maxAttempts;
    private String backend;
    private List<String> candidates = List.of();
    private String seed;
    private String target;
    private Instant since = Instant.now();
    private Supplier<Optional<String>> lockHolder = Optional::empty;

    synchronized void backend(String type, Supplier<Optional<String>> holder) {
        this.backend = type;
        this.lockHolder = holder == null ? Optional::empty : holder;
    }

    synchronized void candidates(List<String> nodes, String seedNode) {
        this.candidates = List.copyOf(nodes);
        this.seed = seedNode;
    }

    synchronized void set(State newState, String newDetail) {
        set(newState, newDetail, 0, 0, null);
    }

    synchronized void set(State newState, String newDetail, int n, int m, String targetNode) {
        if (newState != state) {
            since = Instant.now();
        }
        state = newState;
        detail = newDetail == null ? "" : newDetail;
        attempt = n;
        maxAttempts = m;
        target = targetNode;
    }

    synchronized State state() {
        return state;
    }

    /** The state as warrenctl prints it: {@code state}, a one-line {@code summary}, and the facts behind it. */
    synchronized Map<String, Object> snapshot() {
        Map<String, Object> out = new LinkedHashMap<>();
        Optional<String> holder = state == State.WAITING_FOR_LOCK ? lockHolder.get() : Optional.empty();
        out.put("state", state.label());
        out.put("summary", summary(holder));
        out.put("backend", backend == null ? "none" : backend);
        out.put("attempt", attempt);
        out.put("max_attempts", maxAttempts);
        out.put("candidates", candidates);
        out.put("seed", seed == null ? "" : seed);
        out.put("target", target == null ? "" : target);
        out.put("lock_holder", holder.orElse(""));
        out.put("detail", detail);
        out.put("since", since.toString());
        return out;
    }

    private String summary(Optional<String> holder) {
        String tries = maxAttempts > 0 ? ", attempt " + attempt + "/" + maxAttempts : "";
        return switch (state) {
            case BOOTING -> "booting: formation has not started";
            case REGISTERED -> "registered with " + backend;
            case DISCOVERING -> "discovering peers with " + backend + tries;
            case WAITING_FOR_LOCK -> "waiting for the formation lock held by " + holder.orElse("(unknown)");
            case JOINING -> "joining " + (target == null ? "a discovered peer" : target) + tries;
            case REJOINING -> "rejoining last-seen peers " + detail + tries;
            case REFUSED -> "refused by " + (target == null ? "a peer" : target) + " because " + detail;
            case FORMED -> "formed: " + detail;
            case STANDALONE -> "standalone: " + detail;
            case FAILED -> "failed: " + detail;
            case STOPPED -> "stopped: the app is not running";
        };
    }
}
