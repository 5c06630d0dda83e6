package warren.core.amqp.method;

import warren.core.amqp.Method;

/**
 * {@code tx.rollback} (90/30), AMQP 0-9-1 as extended by RabbitMQ.
 */
public record TxRollback() implements Method {
    public static final int CLASS_ID = 90;
    public static final int METHOD_ID = 30;

    @Override
    public int classId() {
        return CLASS_ID;
    }

    @Override
    public int methodId() {
        return METHOD_ID;
    }

    @Override
    public String name() {
        return "tx.rollback";
    }
}
