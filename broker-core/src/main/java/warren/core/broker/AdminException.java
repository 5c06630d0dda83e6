package warren.core.broker;

/**
 * A refused management operation (warrenctl and friends). {@code kind} is a stable key word such as
 * {@code user_already_exists}, {@code no_such_user}, {@code no_such_vhost}, {@code vhost_already_exists}
 * that the CLI maps to rabbitmqctl's messages and exit codes.
 */
public final class AdminException extends RuntimeException {
    private final String kind;

    public AdminException(String kind, String message) {
        super(message);
        this.kind = kind;
    }

    public String kind() {
        return kind;
    }
}
