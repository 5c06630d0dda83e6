package warren.core.routing;

import java.util.Collection;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import warren.core.amqp.ChannelException;
import warren.core.amqp.LongString;
import warren.core.amqp.ReplyCode;

/**
 * headers: binding arguments are matched against message headers. {@code x-match} is
 * {@code all} (default) or {@code any}; {@code all-with-x}/{@code any-with-x} also compare
 * arguments starting with {@code x-}, which are otherwise ignored. A binding argument of type void
 * matches a header's presence.
 */
final class HeadersRouter implements Router {
    private final Set<Binding> bindings = ConcurrentHashMap.newKeySet();

    static void validate(Map<String, Object> arguments) {
        Object mode = arguments.get("x-match");
        if (mode == null) {
            return;
        }
        String m = mode.toString();
        if (!(mode instanceof LongString || mode instanceof String)
                || !(m.equals("all") || m.equals("any") || m.equals("all-with-x") || m.equals("any-with-x"))) {
            throw new ChannelException(ReplyCode.PRECONDITION_FAILED,
                    "Invalid x-match field value " + m + "; expected all, any, all-with-x, or any-with-x");
        }
    }

    @Override
    public void add(Binding binding) {
        bindings.add(binding);
    }

    @Override
    public void remove(Binding binding) {
        bindings.remove(binding);
    }

    @Override
    public void route(String routingKey, Map<String, Object> headers, Collection<Binding> out) {
        for (Binding b : bindings) {
            if (matches(b.arguments(), headers == null ? Map.of() : headers)) {
                out.add(b);
            }
        }
    }

    static boolean matches(Map<String, Object> args, Map<String, Object> headers) {
        Object modeValue = args.get("x-match");
        String mode = modeValue == null ? "all" : modeValue.toString();
        boolean any = mode.startsWith("any");
        boolean withX = mode.endsWith("-with-x");

        for (Map.Entry<String, Object> arg : args.entrySet()) {
            String key = arg.getKey();
            if (key.equals("x-match") || (!withX && key.startsWith("x-"))) {
                continue;
            }

            boolean present = headers.containsKey(key);
            boolean ok = present && (arg.getValue() == null || sameValue(arg.getValue(), headers.get(key)));
            if (any && ok) {
                return true;
            }
            if (!any && !ok) {
                return false;
            }
        }
        return !any;
    }

    private static boolean sameValue(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y && !(a instanceof Double || a instanceof Float)
                && !(b instanceof Double || b instanceof Float)) {
            return x.longValue() == y.longValue();
        }
        if ((a instanceof LongString || a instanceof String) && (b instanceof LongString || b instanceof String)) {
            return a.toString().equals(b.toString());
        }
        if (a instanceof byte[] x && b instanceof byte[] y) {
            return java.util.Arrays.equals(x, y);
        }
        return Objects.equals(a, b);
    }
}
