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
}
