package warren.server;

import java.util.List;
import warren.core.broker.AdminException;

/**
 * Whether the node's app serves clients, for {@code warrenctl await_startup}: BOOTING from the
 * start of the node (or of {@code start_app}) until the store is recovered, the cluster joined and
 * the AMQP listener accepts; then RUNNING; STOPPED after {@code stop_app} or while the node stops;
 * FAILED (final, with the reason) when the boot failed.
 */
final class Readiness {

    enum State { BOOTING, RUNNING, STOPPED, FAILED }

    private State state = State.BOOTING;
    private String failure;
    /** While BOOTING: the peers a restarting member waits for (RestartGate), else null. */
    private List<String> waitingFor;

    synchronized void set(State next, String reason) {
        if (state == State.FAILED) {
            return; // the node is going down for this reason; keep telling it
        }
        state = next;
        failure = reason;
        waitingFor = null;
        notifyAll();
    }

    /** The booting app waits for the peers it saw running when it stopped (it opens when one runs, or force_boot). */
    synchronized void waitingFor(List<String> peers) {
        if (state == State.BOOTING) {
            waitingFor = List.copyOf(peers);
        }
    }

    synchronized State state() {
        return state;
    }

    /**
     * Returns once the app runs; refuses at once when it is stopped or failed to boot (as rabbitmqctl's
     * {@code rabbit_is_not_running}), and with kind {@code timeout} when it still boots after {@code timeoutMillis}.
     */
    synchronized void await(long timeoutMillis) {
        long deadline = System.nanoTime() + Math.max(0, timeoutMillis) * 1_000_000L;
        while (state == State.BOOTING) {
            long left = (deadline - System.nanoTime()) / 1_000_000L;
            if (left <= 0) {
                throw new AdminException("timeout", waitingFor == null ? "the node still boots"
                        : "the node is waiting for the cluster peers it saw running when it stopped: " + waitingFor
                                + "; it opens when one of them runs (or after 'warrenctl force_boot')");
            }
            try {
                wait(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AdminException("timeout", "interrupted while waiting for the node to boot");
            }
        }
        if (state == State.FAILED) {
            throw new AdminException("boot_failed", "warren_is_not_running\n" + failure);
        }
        if (state == State.STOPPED) {
            throw new AdminException("not_running", "warren_is_not_running");
        }
    }
}
