package warren.core.amqp;

import java.util.Arrays;
import java.util.Objects;

/**
 * A method with its content, if it carries any (spec 2.3.5.2); {@code header} and {@code body} are null
 * for methods without content.
 */
public record Command(Method method, ContentHeader header, byte[] body) {
    public Command {
        Objects.requireNonNull(method, "method");
    }

    /** A command without content. */
    public static Command of(Method method) {
        return new Command(method, null, null);
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof Command that && method.equals(that.method) && Objects.equals(header, that.header)
                && Arrays.equals(body, that.body);
    }

    @Override
    public int hashCode() {
        return (31 * method.hashCode() + Objects.hashCode(header)) * 31 + Arrays.hashCode(body);
    }

    @Override
    public String toString() {
        return "Command[" + method + (header == null ? "" : ", " + header + ", body=" + body.length + " octets") + "]";
    }
}
