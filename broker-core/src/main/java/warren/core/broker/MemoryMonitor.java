package warren.core.broker;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The memory alarm ({@code vm_memory_high_watermark.relative}) and, merged into the same
 * "publishers are blocked" state, the disk alarm. The memory figure compared with
 * {@code relative × max heap} is
 * <pre>
 *   memory used = max(queued message bytes, heap in use) + direct memory in use
 * </pre>
 * where queued message bytes are the bodies held by queues (ready and unacknowledged), updated on
 * every enqueue and removal; heap in use is sampled twice a second: every heap pool's current use,
 * except the young generation's allocation space (eden), taken as it was after the last
 * collection (what survives there is garbage or soon promoted); direct memory is the larger of
 * the JDK's direct buffer count and Netty's own counter of its direct allocations (its pooled
 * arenas' chunks; the two overlap). The queued bytes react at once; the heap sample catches everything else the process
 * holds (mailboxes, the store's write backlog, held frames). The alarm is set above the mark and
 * cleared 5% below it. Listeners hear every change of state; the log line prints the same figure
 * the mark is compared with.
 */
public final class MemoryMonitor {
    private static final Logger LOG = LoggerFactory.getLogger(MemoryMonitor.class);

    private final long maxHeapBytes;
    private final String nodeName;
    private volatile long limitBytes;
    private final AtomicLong used = new AtomicLong();
    private volatile long liveHeap;
    private volatile long direct;
    private volatile boolean diskAlarm;
    private final AtomicBoolean alarm = new AtomicBoolean();
    private final AtomicBoolean memoryAlarm = new AtomicBoolean();
    private final List<Consumer<Boolean>> listeners = new CopyOnWriteArrayList<>();

    public MemoryMonitor(double relative, long maxHeapBytes) {
        this(relative, maxHeapBytes, "");
    }

    public MemoryMonitor(double relative, long maxHeapBytes, String nodeName) {
        this.maxHeapBytes = maxHeapBytes;
        this.nodeName = nodeName;
        this.limitBytes = (long) (relative * maxHeapBytes);
    }

    /** Changes the watermark at runtime (warrenctl set_vm_memory_high_watermark); the alarm is re-evaluated. */
    public void setRelative(double relative) {
        this.limitBytes = (long) (relative * maxHeapBytes);
        evaluate();
    }

    public void adjust(long delta) {
        used.addAndGet(delta);
        evaluate();
    }

    /**
     * The heap in use as last sampled (see the class comment). The alarm compares the larger of
     * this and the queued bytes, plus direct memory, to the mark, so a watermark below the
     * broker's own footprint is in alarm at once, as RabbitMQ's would be.
     */
    public void setLiveHeap(long bytes) {
        liveHeap = bytes;
        evaluate();
    }

    /** Direct (off-heap) buffer memory in use as last sampled. */
    public void setDirect(long bytes) {
        direct = bytes;
        evaluate();
    }

    /** Heap and direct memory together, as last sampled. */
    public void setSampled(long heapBytes, long directBytes) {
        liveHeap = heapBytes;
        direct = directBytes;
        evaluate();
    }

    private void evaluate() {
        // Re-check until the flag agrees with the count: two threads crossing the mark in opposite
        // directions at once must not leave the alarm in the wrong state.
        while (true) {
            long inUse = memoryUsed();
            long limit = limitBytes;
            boolean currentMem = memoryAlarm.get();
            // Set above the mark, cleared 5% below it: the queued bytes move with every enqueue and
            // removal, and a figure hovering at the mark must not flap the alarm (and every
            // publisher) thousands of times a second.
            boolean memOver = currentMem ? inUse > limit - limit / 20 : inUse > limit;
            if (currentMem != memOver) {
                if (memoryAlarm.compareAndSet(currentMem, memOver)) {
                    logTransition(memOver, inUse, limit);
                }
                continue;
            }
            boolean over = memOver || diskAlarm;
            boolean current = alarm.get();
            if (current == over) {
                return;
            }
            if (alarm.compareAndSet(current, over)) {
                for (Consumer<Boolean> l : listeners) {
                    l.accept(over);
                }
            }
        }
    }

    private void logTransition(boolean on, long inUse, long limit) {
        // RabbitMQ's lines (operators' log watchers match them), then what the figure is made of.
        String node = nodeName.isEmpty() ? "" : " on node " + nodeName;
        if (on) {
            LOG.warn("vm_memory_high_watermark set. Memory used:{} allowed:{}", inUse, limit);
            LOG.warn("memory resource limit alarm set{}. Publishers will be blocked until this alarm clears"
                    + " (memory used = max(queued message bytes {}, heap in use {}) + direct memory {})",
                    node, used.get(), liveHeap, direct);
        } else {
            LOG.warn("vm_memory_high_watermark clear. Memory used:{} allowed:{}", inUse, limit);
            LOG.warn("memory resource limit alarm cleared{}", node);
        }
    }

    /** The figure compared with the mark: max(queued message bytes, heap in use) + direct memory in use. */
    public long memoryUsed() {
        return Math.max(used.get(), liveHeap) + direct;
    }

    private boolean memoryOver() {
        return memoryAlarm.get();
    }

    /** Whether the memory figure (not the disk) holds the alarm. */
    public boolean memoryAlarm() {
        return memoryAlarm.get();
    }

    /** The disk alarm (free space below disk_free_limit) blocks publishers the same way. */
    public void setDiskAlarm(boolean on) {
        diskAlarm = on;
        evaluate();
    }

    /** connection.blocked's reason, as RabbitMQ words it. */
    public String reason() {
        return diskAlarm && !memoryOver() ? "low on disk" : "low on memory";
    }

    public boolean inAlarm() {
        return alarm.get();
    }

    public long usedBytes() {
        return used.get();
    }

    public long liveHeapBytes() {
        return liveHeap;
    }

    public long directBytes() {
        return direct;
    }

    public long limitBytes() {
        return limitBytes;
    }

    public void addListener(Consumer<Boolean> listener) {
        listeners.add(listener);
    }

    public void removeListener(Consumer<Boolean> listener) {
        listeners.remove(listener);
    }
}
