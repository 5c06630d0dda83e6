package warren.core.queue;

import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Per-connection publish credit: the bytes one publishing connection has handed to local queues
 * that their threads have not taken in yet. Past {@link #PAUSE_AT} the connection stops reading
 * its socket until its queues have taken all but {@link #RESUME_AT}, so one fast publisher can
 * fill a queue's mailbox only up to its own share and cannot starve the others publishing to the
 * same queue (as RabbitMQ's credit flow between a channel and its queues).
 *
 * <p>Two counters instead of one: {@code taken} is written only by the connection's thread (an
 * ordered store, no read-modify-write), {@code given} by the queues' threads, so the publishing
 * thread does no atomic read-modify-write on a line the queues' threads also update. (Measured
 * against one shared counter in docs/benchmarks.md "Hardening": the difference is inside the
 * run-to-run spread; kept because it can only be cheaper.) A stale {@code taken} seen by a queue's
 * thread can only make it resume a paused connection early, which the next publish corrects.
  */
public final class PublishCredit {
    /** In-flight weight above which the connection pauses. */
    public static final long PAUSE_AT = 4L << 20;
    /** In-flight weight below which a paused connection resumes. */
    public static final long RESUME_AT = 1L << 20;

    /** Weight handed to queues; written only by the connection's thread. */
    private final AtomicLong taken = new AtomicLong();
    /** Weight the queues have taken in; written by their threads. */
    private final AtomicLong given = new AtomicLong();
    private final AtomicReference<Runnable> waiter = new AtomicReference<>();

    /** On the connection's thread. */
    void take(long weight) {
        taken.lazySet(taken.get() + weight);
    }

    /** On a queue's thread. */
    void give(long weight) {
        given.addAndGet(weight);
        if (waiter.get() != null && inFlight() < RESUME_AT) {
            release();
        }
    }

    /** Whether the connection should stop reading until {@link #whenCaughtUp} runs its task. */
    public boolean exhausted() {
        return inFlight() > PAUSE_AT;
    }

    /** Runs {@code resume} (now, or on the thread that gives back enough credit) once below {@link #RESUME_AT}. */
    public void whenCaughtUp(Runnable resume) {
        waiter.set(resume);
        if (inFlight() < RESUME_AT) {
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
        return taken.get() - given.get();
    }
}
