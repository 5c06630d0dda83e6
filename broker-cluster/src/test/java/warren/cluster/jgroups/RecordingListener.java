package warren.cluster.jgroups;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * Records everything a channel reports and lets a test wait, with a deadline, for a condition on
 * the record. Its "state" is the list of delivered payloads, so snapshot/restore are observable.
 */
final class RecordingListener implements ClusterListener {

    /** One callback, in the order the channel made them. */
    record Event(String kind, String text) {}

    private final List<Event> events = new ArrayList<>();
    private final List<String> state = new ArrayList<>();
    private List<String> members = List.of();
    private boolean sawMerge;

    @Override
    public synchronized void onViewChange(List<String> newMembers, boolean merged) {
        members = List.copyOf(newMembers);
        sawMerge |= merged;
        events.add(new Event(merged ? "merge-view" : "view", newMembers.toString()));
        notifyAll();
    }

    @Override
    public synchronized void onDeliver(String fromNode, byte[] payload) {
        String text = new String(payload, StandardCharsets.UTF_8);
        state.add(text);
        events.add(new Event("deliver", fromNode + ":" + text));
        notifyAll();
    }

    @Override
    public synchronized byte[] snapshot() {
        return String.join(",", state).getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public synchronized void restore(byte[] snapshot) {
        String text = new String(snapshot, StandardCharsets.UTF_8);
        state.clear();
        if (!text.isEmpty()) {
            state.addAll(List.of(text.split(",")));
        }
        events.add(new Event("restore", text));
        notifyAll();
    }

    synchronized List<String> state() {
        return List.copyOf(state);
    }

    synchronized List<String> members() {
        return members;
    }

    synchronized boolean sawMerge() {
        return sawMerge;
    }

    synchronized List<Event> events() {
        return List.copyOf(events);
    }

    synchronized List<Event> events(String kind) {
        return events.stream().filter(e -> e.kind().equals(kind)).toList();
    }

    /** Waits until {@code condition} holds on this listener, failing after {@code timeout}. */
    synchronized void await(String what, Duration timeout, Predicate<RecordingListener> condition)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.test(this)) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("timed out after " + timeout + " waiting for " + what
                        + "; members=" + members + ", delivered=" + state.size());
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }
}
