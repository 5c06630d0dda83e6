package warren.core.queue;

import java.util.ArrayDeque;
import java.util.Comparator;
import java.util.PriorityQueue;

/**
 * The ready (undelivered) messages of a queue. FIFO by default; with x-max-priority, one FIFO per
 * priority level served highest first. Requeued entries go back by their original sequence, in front
 * of anything published after them.
 *
 * <p>Each level keeps two seq-ordered parts: the entries appended in arrival order (a deque: O(1)
 * at both ends) and the entries given back (a binary heap on seq: O(log n) to put back or take,
 * O(1) when a batch comes back oldest-first into an empty heap). The head of a level is the older
 * of the two heads, so any mix of requeues — older or newer than what is queued, one at a time or
 * in batches, in any order — keeps seq order at a cost of O(log n) per entry.
 */
final class ReadyList {
    private static final Comparator<QueueEntry> BY_SEQ = (a, b) -> Long.compare(a.seq, b.seq);

    private final Comparator<QueueEntry> order;
    private Level[] levels;
    private int size;
    private long bytes;

    private final class Level {
        final ArrayDeque<QueueEntry> appended = new ArrayDeque<>();
        final PriorityQueue<QueueEntry> requeued = new PriorityQueue<>(order);

        QueueEntry peek() {
            QueueEntry a = appended.peekFirst();
            QueueEntry r = requeued.peek();
            if (r == null) {
                return a;
            }
            return a == null || order.compare(r, a) < 0 ? r : a;
        }

        QueueEntry poll() {
            QueueEntry head = peek();
            if (head != null) {
                if (head == appended.peekFirst()) {
                    appended.pollFirst();
                } else {
                    requeued.poll();
                }
            }
            return head;
        }

        void add(QueueEntry e) {
            QueueEntry last = appended.peekLast();
            if (last == null || last.seq < e.seq) {
                appended.addLast(e);
            } else {
                requeued.add(e); // older than the tail: kept in order by the heap
            }
        }
    }

    ReadyList(int maxPriority) {
        this(maxPriority, BY_SEQ);
    }

    /** With the seq order given (a test counts the comparisons it makes). */
    ReadyList(int maxPriority, Comparator<QueueEntry> order) {
        this.order = order;
        this.levels = newLevels(maxPriority + 1);
    }

    private Level[] newLevels(int n) {
        Level[] out = new Level[n];
        for (int i = 0; i < n; i++) {
            out[i] = new Level();
        }
        return out;
    }

    private Level levelOf(QueueEntry e) {
        int p = Math.min(Math.max(e.message.priority(), 0), levels.length - 1);
        return levels[p];
    }

    void addLast(QueueEntry e) {
        levelOf(e).add(e);
        size++;
        bytes += e.message.bodySize();
    }

    /** Puts a requeued entry back by its original sequence, ahead of anything published after it. O(log n). */
    void requeue(QueueEntry e) {
        levelOf(e).requeued.add(e);
        size++;
        bytes += e.message.bodySize();
    }

    QueueEntry peek() {
        for (int i = levels.length - 1; i >= 0; i--) {
            QueueEntry e = levels[i].peek();
            if (e != null) {
                return e;
            }
        }
        return null;
    }

    QueueEntry poll() {
        for (int i = levels.length - 1; i >= 0; i--) {
            QueueEntry e = levels[i].poll();
            if (e != null) {
                taken(e);
                return e;
            }
        }
        return null;
    }

    /** The oldest entry of the lowest priority: what drop-head removes first. */
    QueueEntry pollOldestLowest() {
        for (Level level : levels) {
            QueueEntry e = level.poll();
            if (e != null) {
                taken(e);
                return e;
            }
        }
        return null;
    }

    private void taken(QueueEntry e) {
        size--;
        bytes -= e.message.bodySize();
    }

    int size() {
        return size;
    }

    long bytes() {
        return bytes;
    }

    void clear() {
        levels = newLevels(levels.length);
        size = 0;
        bytes = 0;
    }

    /**
     * Moves every entry to a new list and leaves this one empty, in O(number of levels): a purge
     * answers at once and lets go of the dropped entries in slices.
     */
    ReadyList takeAll() {
        ReadyList out = new ReadyList(levels.length - 1, order);
        out.levels = levels;
        out.size = size;
        out.bytes = bytes;
        clear();
        return out;
    }
}
