package warren.core.queue;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Per-connection publish credit: the bytes one publishing connection has handed to local queues
 * that their threads have not taken in yet. Past {@link #PAUSE_AT} the connection stops reading
 * its socket until its queues have taken all but {@link #RESUME_AT}, so one fast publisher can
 * fill a queue's mailbox only up to its own share and cannot starve the others publishing to the
 * same queue (as RabbitMQ's credit flow between a channel and its queues). Taken on the
 * connection's thread, given back on the queues' threads: one atomic add each, no allocation.
 */
public final class PublishCredit {
    /** In-flight weight above which the connection pauses. */
    public static final long PAUSE_AT = 4L << 20;
    /** In-flight weight below which a paused connection resumes. */
    public static final long RESUME_AT = 1L << 20;

    private final AtomicLong inFlight = new AtomicLong();
    private final AtomicReference<Runnable> waiter = new AtomicReference<>();

    void take(long weight) {
        inFlight.addAndGet(weight);
    }

    void give(long weight) {
        if (inFlight.addAndGet(-weight) < RESUME_AT && waiter.get() != null) {
            release();
        }
    }

    /** Whether the connection should stop reading until {@link #whenCaughtUp} runs its task. */
    public boolean exhausted() {
        return inFlight.get() > PAUSE_AT;
    }

    /** Runs {@code resume} (now, or on the thread that gives back enough credit) once below {@link #RESUME_AT}. */
    public void whenCaughtUp(Runnable resume) {
        waiter.set(resume);
        if (inFlight.get() < RESUME_AT) {
            release();
        }
    }

    private void release() {
        Runnable r = waiter.getAndSet(null);
        if (r != null) {
            r.run();
        }
    }

    /** Bytes handed to queues and not yet taken in. */
    public long inFlight() {
        return inFlight.get();
    }
}
