package warren.core.broker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class MemoryMonitorTest {

    @Test
    void alarmTransitionsNotifyListenersOnceEach() {
        MemoryMonitor m = new MemoryMonitor(0.5, 1000);
        assertEquals(500, m.limitBytes());
        List<Boolean> heard = new ArrayList<>();
        m.addListener(heard::add);
        m.adjust(400);
        m.adjust(100); // exactly at the limit: not above it
        assertFalse(m.inAlarm());
        assertEquals(List.of(), heard);
        m.adjust(1);
        m.adjust(300);
        assertTrue(m.inAlarm());
        assertEquals(List.of(true), heard);
        m.adjust(-300);
        assertTrue(m.inAlarm());
        m.adjust(-1);
        m.adjust(-100);
        assertFalse(m.inAlarm());
        assertEquals(List.of(true, false), heard);
        assertEquals(400, m.usedBytes());
    }

    @Test
    void removedListenerHearsNothing() {
        MemoryMonitor m = new MemoryMonitor(0.5, 1000);
        List<Boolean> heard = new ArrayList<>();
        Consumer<Boolean> l = heard::add;
        m.addListener(l);
        m.removeListener(l);
        m.adjust(1000);
        assertTrue(m.inAlarm());
        assertEquals(List.of(), heard);
    }

    @Test
    void theFigureIsTheLargerOfQueuedBytesAndHeapPlusDirectMemoryAndClearsFivePercentBelowTheMark() {
        MemoryMonitor m = new MemoryMonitor(0.5, 1000); // mark 500
        m.adjust(300);
        m.setSampled(200, 150);
        assertEquals(450, m.memoryUsed()); // max(300, 200) + 150
        assertFalse(m.inAlarm());
        m.setSampled(400, 150); // the heap now outweighs the queued bytes
        assertEquals(550, m.memoryUsed());
        assertTrue(m.inAlarm());
        assertTrue(m.memoryAlarm());
        m.setSampled(400, 90); // 490: below the mark, not 5% below it
        assertTrue(m.inAlarm());
        m.setSampled(400, 70); // 470 <= 475
        assertFalse(m.inAlarm());
        m.setDirect(200); // 600
        assertTrue(m.inAlarm());
        assertEquals("low on memory", m.reason());
    }

    @Test
    void diskAlarmBlocksWithItsOwnReason() {
        MemoryMonitor m = new MemoryMonitor(0.5, 1000);
        m.setDiskAlarm(true);
        assertTrue(m.inAlarm());
        assertFalse(m.memoryAlarm());
        assertEquals("low on disk", m.reason());
        m.setDiskAlarm(false);
        assertFalse(m.inAlarm());
    }
}
