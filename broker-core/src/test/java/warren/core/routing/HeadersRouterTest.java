package warren.core.routing;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import warren.core.amqp.ChannelException;
import warren.core.amqp.LongString;
import warren.core.amqp.ReplyCode;

class HeadersRouterTest {

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new HashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    private static boolean routes(Map<String, Object> bindingArgs, Map<String, Object> headers) {
        Router r = ExchangeType.HEADERS.newRouter();
        Binding b = new Binding("h", "q", false, "", bindingArgs);
        r.add(b);
        List<Binding> out = new ArrayList<>();
        r.route("ignored", headers, out);
        return out.contains(b);
    }

    @Test
    void allRequiresEveryArgument() {
        Map<String, Object> args = map("x-match", "all", "a", 1, "b", "two");
        assertTrue(routes(args, map("a", 1, "b", LongString.of("two"), "c", 3)));
        assertFalse(routes(args, map("a", 1)));
        assertFalse(routes(args, map("a", 1, "b", "three")));
    }

    @Test
    void allIsTheDefault() {
        Map<String, Object> args = map("a", 1, "b", 2);
        assertFalse(routes(args, map("a", 1)));
        assertTrue(routes(args, map("a", 1, "b", 2L)));
    }

    @Test
    void anyRequiresOneArgument() {
        Map<String, Object> args = map("x-match", LongString.of("any"), "a", 1, "b", 2);
        assertTrue(routes(args, map("b", 2)));
        assertFalse(routes(args, map("a", 2, "b", 1)));
        assertFalse(routes(args, null));
    }

    @Test
    void xArgumentsAreIgnoredUnlessWithX() {
        assertTrue(routes(map("x-match", "all", "x-k", "v"), map()));
        assertFalse(routes(map("x-match", "all-with-x", "x-k", "v"), map()));
        assertTrue(routes(map("x-match", "all-with-x", "x-k", "v"), map("x-k", "v")));
        assertFalse(routes(map("x-match", "any", "x-k", "v", "a", 1), map("x-k", "v")));
        assertTrue(routes(map("x-match", "any-with-x", "x-k", "v", "a", 1), map("x-k", "v")));
    }

    @Test
    void voidBindingValueMatchesHeaderPresence() {
        Map<String, Object> args = map("x-match", "all", "flag", null);
        assertTrue(routes(args, map("flag", "anything")));
        assertTrue(routes(args, map("flag", null)));
        assertFalse(routes(args, map("other", 1)));
    }

    @Test
    void unbindWithVoidValueRemovesTheBinding() {
        Router r = ExchangeType.HEADERS.newRouter();
        r.add(new Binding("h", "q", false, "", map("flag", null)));
        r.remove(new Binding("h", "q", false, "", map("flag", null)));
        List<Binding> out = new ArrayList<>();
        r.route("", map("flag", 1), out);
        assertTrue(out.isEmpty());
    }

    @Test
    void invalidXMatchIsPreconditionFailed() {
        ChannelException e = assertThrows(ChannelException.class,
                () -> ExchangeType.HEADERS.validateBinding(map("x-match", "some")));
        assertEquals(ReplyCode.PRECONDITION_FAILED, e.replyCode());
        assertTrue(e.getMessage().contains("x-match"), e.getMessage());
        assertThrows(ChannelException.class, () -> ExchangeType.HEADERS.validateBinding(map("x-match", 1)));
        assertDoesNotThrow(() -> ExchangeType.HEADERS.validateBinding(map("x-match", LongString.of("any-with-x"))));
        assertDoesNotThrow(() -> ExchangeType.DIRECT.validateBinding(map("x-match", "some")));
    }
}
