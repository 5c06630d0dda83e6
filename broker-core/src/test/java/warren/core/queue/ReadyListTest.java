package warren.core.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import warren.core.amqp.BasicProperties;
import warren.core.message.Message;

/**
 * The ready list keeps seq order within each priority level under any mix of requeues, and does
 * so in O(log n) per entry (counted in comparisons, not timed).
 */
class ReadyListTest {

    private static QueueEntry entry(long seq, int priority) {
        BasicProperties p = new BasicProperties(null, null, null, null, priority, null, null, null, null, null,
                null, null, null, null);
        return new QueueEntry(seq, new Message("", "q", p, new byte[0], new byte[1], 0), Long.MAX_VALUE);
    }

    private static List<Long> drain(ReadyList r) {
        List<Long> out = new ArrayList<>();
        QueueEntry e;
        while ((e = r.poll()) != null) {
            out.add(e.seq);
        }
        assertEquals(0, r.size());
        assertEquals(0, r.bytes());
        return out;
    }

    @Test
    void requeuedEntriesGoBackByTheirSeqAmongOlderAndNewerOnes() {
        ReadyList r = new ReadyList(0);
        List<QueueEntry> all = new ArrayList<>();
        for (long s = 0; s < 10; s++) {
            all.add(entry(s, 0));
            r.addLast(all.get((int) s));
        }
        List<QueueEntry> taken = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            taken.add(r.poll()); // 0..5 delivered, 6..9 ready
        }
        r.requeue(taken.get(3)); // newer ones first, one at a time
        r.requeue(taken.get(5));
        r.requeue(taken.get(0));
        assertEquals(0, r.peek().seq);
        r.addLast(entry(10, 0)); // published meanwhile
        r.requeue(taken.get(4));
        r.requeue(taken.get(1));
        r.requeue(taken.get(2));
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L), drain(r));
    }

    @Test
    void priorityLevelsKeepSeqOrderEachUnderInterleavedRequeues() {
        ReadyList r = new ReadyList(3);
        Random random = new Random(42);
        List<QueueEntry> published = new ArrayList<>();
        for (long s = 0; s < 3000; s++) {
            QueueEntry e = entry(s, random.nextInt(5)); // 4 is above max: served as 3
            published.add(e);
            r.addLast(e);
        }
        List<QueueEntry> out = new ArrayList<>();
        for (int round = 0; round < 200; round++) {
            for (int i = random.nextInt(40); i > 0 && r.size() > 0; i--) {
                out.add(r.poll());
            }
            Collections.shuffle(out, random);
            for (int i = random.nextInt(out.size() + 1); i > 0; i--) {
                r.requeue(out.remove(out.size() - 1));
            }
        }
        for (QueueEntry e : out) {
            r.requeue(e);
        }
        assertEquals(3000, r.size());
        int lastLevel = Integer.MAX_VALUE;
        long lastSeq = -1;
        int seen = 0;
        QueueEntry e;
        while ((e = r.poll()) != null) {
            int level = Math.min(e.message.priority(), 3);
            assertTrue(level <= lastLevel, "levels served highest first");
            if (level < lastLevel) {
                lastSeq = -1;
                lastLevel = level;
            }
            assertTrue(e.seq > lastSeq, "seq order within level " + level + ": " + e.seq + " after " + lastSeq);
            lastSeq = e.seq;
            seen++;
        }
        assertEquals(3000, seen);
    }

    @Test
    void pollOldestLowestTakesTheOldestOfTheLowestLevelRequeuedOrNot() {
        ReadyList r = new ReadyList(2);
        QueueEntry low0 = entry(0, 0);
        QueueEntry high1 = entry(1, 2);
        QueueEntry low2 = entry(2, 0);
        r.addLast(low0);
        r.addLast(high1);
        r.addLast(low2);
        assertEquals(1, r.poll().seq); // the high level first
        assertEquals(0, r.pollOldestLowest().seq);
        r.requeue(low0);
        assertEquals(0, r.pollOldestLowest().seq);
        assertEquals(2, r.pollOldestLowest().seq);
        assertNull(r.pollOldestLowest());
    }

    @Test
    void takeAllLeavesAnEmptyListAndKeepsTheEntriesInOrder() {
        ReadyList r = new ReadyList(0);
        for (long s = 0; s < 5; s++) {
            r.addLast(entry(s, 0));
        }
        QueueEntry first = r.poll();
        r.requeue(first);
        ReadyList taken = r.takeAll();
        assertEquals(0, r.size());
        assertNull(r.peek());
        r.addLast(entry(5, 0));
        assertEquals(List.of(5L), drain(r));
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L), drain(taken));
    }

    /**
     * 200k deliveries given back oldest-first (a consumer closing), newest-first, and in random order
     * (a peer node's link closing), behind 200k newer ready entries: order is right and the work is
     * O(n log n) comparisons. The old list rebuilt its deque for every oldest-first entry (O(n^2):
     * minutes at this size), hence also the generous liveness bound.
     */
    @Test
    void requeueOf200kIsInOrderAndNLogN() {
        int n = 200_000;
        for (String pattern : List.of("oldest-first", "newest-first", "random")) {
            AtomicLong comparisons = new AtomicLong();
            Comparator<QueueEntry> counting = (a, b) -> {
                comparisons.incrementAndGet();
                return Long.compare(a.seq, b.seq);
            };
            ReadyList r = new ReadyList(0, counting);
            List<QueueEntry> delivered = new ArrayList<>(n);
            for (long s = 0; s < 2L * n; s++) {
                r.addLast(entry(s, 0));
            }
            for (int i = 0; i < n; i++) {
                delivered.add(r.poll());
            }
            if (pattern.equals("newest-first")) {
                Collections.reverse(delivered);
            } else if (pattern.equals("random")) {
                Collections.shuffle(delivered, new Random(7));
            }
            assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
                for (QueueEntry e : delivered) {
                    r.requeue(e);
                }
                List<Long> order = drain(r);
                assertEquals(2 * n, order.size());
                for (int i = 0; i < order.size(); i++) {
                    if (order.get(i) != i) {
                        throw new AssertionError(pattern + ": position " + i + " has seq " + order.get(i));
                    }
                }
            }, pattern);
            long bound = 3L * 2 * n * (64 - Long.numberOfLeadingZeros(n)); // 3 n log2 n for both halves
            assertTrue(comparisons.get() <= bound, pattern + ": " + comparisons.get() + " comparisons for "
                    + n + " requeues and " + 2 * n + " polls; O(n log n) allows " + bound);
        }
    }
}
