package warren.core.amqp;

import io.netty.buffer.ByteBuf;
import java.util.Map;
import warren.core.amqp.method.AccessRequest;
import warren.core.amqp.method.AccessRequestOk;
import warren.core.amqp.method.BasicAck;
import warren.core.amqp.method.BasicCancel;
import warren.core.amqp.method.BasicCancelOk;
import warren.core.amqp.method.BasicConsume;
import warren.core.amqp.method.BasicConsumeOk;
import warren.core.amqp.method.BasicDeliver;
import warren.core.amqp.method.BasicGet;
import warren.core.amqp.method.BasicGetEmpty;
import warren.core.amqp.method.BasicGetOk;
import warren.core.amqp.method.BasicNack;
import warren.core.amqp.method.BasicPublish;
import warren.core.amqp.method.BasicQos;
import warren.core.amqp.method.BasicQosOk;
import warren.core.amqp.method.BasicRecover;
import warren.core.amqp.method.BasicRecoverAsync;
import warren.core.amqp.method.BasicRecoverOk;
import warren.core.amqp.method.BasicReject;
import warren.core.amqp.method.BasicReturn;
import warren.core.amqp.method.ChannelClose;
import warren.core.amqp.method.ChannelCloseOk;
import warren.core.amqp.method.ChannelFlow;
import warren.core.amqp.method.ChannelFlowOk;
import warren.core.amqp.method.ChannelOpen;
import warren.core.amqp.method.ChannelOpenOk;
import warren.core.amqp.method.ConfirmSelect;
import warren.core.amqp.method.ConfirmSelectOk;
import warren.core.amqp.method.ConnectionBlocked;
import warren.core.amqp.method.ConnectionClose;
import warren.core.amqp.method.ConnectionCloseOk;
import warren.core.amqp.method.ConnectionOpen;
import warren.core.amqp.method.ConnectionOpenOk;
import warren.core.amqp.method.ConnectionSecure;
import warren.core.amqp.method.ConnectionSecureOk;
import warren.core.amqp.method.ConnectionStart;
import warren.core.amqp.method.ConnectionStartOk;
import warren.core.amqp.method.ConnectionTune;
import warren.core.amqp.method.ConnectionTuneOk;
import warren.core.amqp.method.ConnectionUnblocked;
import warren.core.amqp.method.ConnectionUpdateSecret;
import warren.core.amqp.method.ConnectionUpdateSecretOk;
import warren.core.amqp.method.ExchangeBind;
import warren.core.amqp.method.ExchangeBindOk;
import warren.core.amqp.method.ExchangeDeclare;
import warren.core.amqp.method.ExchangeDeclareOk;
import warren.core.amqp.method.ExchangeDelete;
import warren.core.amqp.method.ExchangeDeleteOk;
import warren.core.amqp.method.ExchangeUnbind;
import warren.core.amqp.method.ExchangeUnbindOk;
import warren.core.amqp.method.QueueBind;
import warren.core.amqp.method.QueueBindOk;
import warren.core.amqp.method.QueueDeclare;
import warren.core.amqp.method.QueueDeclareOk;
import warren.core.amqp.method.QueueDelete;
import warren.core.amqp.method.QueueDeleteOk;
import warren.core.amqp.method.QueuePurge;
import warren.core.amqp.method.QueuePurgeOk;
import warren.core.amqp.method.QueueUnbind;
import warren.core.amqp.method.QueueUnbindOk;
import warren.core.amqp.method.TxCommit;
import warren.core.amqp.method.TxCommitOk;
import warren.core.amqp.method.TxRollback;
import warren.core.amqp.method.TxRollbackOk;
import warren.core.amqp.method.TxSelect;
import warren.core.amqp.method.TxSelectOk;

/**
 * Encodes and decodes method frame payloads (spec 4.2.4): class id, method id, then the arguments in
 * declaration order, consecutive bit arguments packed into octets from the least significant bit
 * (spec 4.2.5.2). Ids and arguments follow RabbitMQ's amqp-rabbitmq-0.9.1 method table, including its
 * quirk that {@code exchange.unbind-ok} is 40/51.
 */
public final class MethodCodec {
    private MethodCodec() {
    }

    /**
     * Decodes one method, consuming its arguments; trailing octets after them are left unread.
     *
     * @throws ConnectionException {@link ReplyCode#COMMAND_INVALID} for an unknown class or method id,
     *     {@link ReplyCode#FRAME_ERROR} for truncated or malformed arguments (as RabbitMQ)
     */
    public static Method decode(ByteBuf payload) {
        if (payload.readableBytes() < 4) {
            throw new ConnectionException(ReplyCode.FRAME_ERROR,
                    "method frame of " + payload.readableBytes() + " octets has no class and method id");
        }
        int classId = payload.readUnsignedShort();
        int methodId = payload.readUnsignedShort();
        String name = methodName(classId, methodId);
        if (name == null) {
            throw new ConnectionException(ReplyCode.COMMAND_INVALID,
                    "unknown method " + classId + "/" + methodId, classId, methodId);
        }
        try {
            return decodeArguments((classId << 16) | methodId, payload);
        } catch (WireFormat.MalformedUtf8Exception e) {
            // RabbitMQ 3.10's words (and scope: the connection) for a name that is not UTF-8
            throw new ConnectionException(ReplyCode.FRAME_ERROR, e.getMessage(), classId, methodId);
        } catch (IndexOutOfBoundsException e) {
            // RabbitMQ reports undecodable method arguments as 501 FRAME_ERROR ("cannot decode").
            throw new ConnectionException(ReplyCode.FRAME_ERROR,
                    "cannot decode arguments of " + name + ": " + e.getMessage(), classId, methodId);
        } catch (ConnectionException e) {
            throw new ConnectionException(ReplyCode.FRAME_ERROR, "cannot decode arguments of " + name + ": "
                    + e.getMessage(), classId, methodId);
        }
    }

    /**
     * Writes class id, method id and arguments. On failure nothing is left written.
     *
     * A short string longer than 255 octets is cut to fit (reply-texts end with "...", as RabbitMQ's).
     *
     * @throws IllegalArgumentException for an unencodable field table value
     */
    public static void encode(Method method, ByteBuf out) {
        int start = out.writerIndex();
        try {
            out.writeShort(method.classId());
            out.writeShort(method.methodId());
            encodeArguments(method, out);
        } catch (RuntimeException e) {
            out.writerIndex(start);
            throw e;
        }
    }

    /** The spec name of a method ({@code queue.declare-ok}), or null if the ids are unknown. */
    public static String methodName(int classId, int methodId) {
        return switch ((classId << 16) | methodId) {
            case (ConnectionStart.CLASS_ID << 16) | ConnectionStart.METHOD_ID -> "connection.start";
            case (ConnectionStartOk.CLASS_ID << 16) | ConnectionStartOk.METHOD_ID -> "connection.start-ok";
            case (ConnectionSecure.CLASS_ID << 16) | ConnectionSecure.METHOD_ID -> "connection.secure";
            case (ConnectionSecureOk.CLASS_ID << 16) | ConnectionSecureOk.METHOD_ID -> "connection.secure-ok";
            case (ConnectionTune.CLASS_ID << 16) | ConnectionTune.METHOD_ID -> "connection.tune";
            case (ConnectionTuneOk.CLASS_ID << 16) | ConnectionTuneOk.METHOD_ID -> "connection.tune-ok";
            case (ConnectionOpen.CLASS_ID << 16) | ConnectionOpen.METHOD_ID -> "connection.open";
            case (ConnectionOpenOk.CLASS_ID << 16) | ConnectionOpenOk.METHOD_ID -> "connection.open-ok";
            case (ConnectionClose.CLASS_ID << 16) | ConnectionClose.METHOD_ID -> "connection.close";
            case (ConnectionCloseOk.CLASS_ID << 16) | ConnectionCloseOk.METHOD_ID -> "connection.close-ok";
            case (ConnectionBlocked.CLASS_ID << 16) | ConnectionBlocked.METHOD_ID -> "connection.blocked";
            case (ConnectionUnblocked.CLASS_ID << 16) | ConnectionUnblocked.METHOD_ID -> "connection.unblocked";
            case (ConnectionUpdateSecret.CLASS_ID << 16) | ConnectionUpdateSecret.METHOD_ID -> "connection.update-secret";
            case (ConnectionUpdateSecretOk.CLASS_ID << 16) | ConnectionUpdateSecretOk.METHOD_ID -> "connection.update-secret-ok";
            case (ChannelOpen.CLASS_ID << 16) | ChannelOpen.METHOD_ID -> "channel.open";
            case (ChannelOpenOk.CLASS_ID << 16) | ChannelOpenOk.METHOD_ID -> "channel.open-ok";
            case (ChannelFlow.CLASS_ID << 16) | ChannelFlow.METHOD_ID -> "channel.flow";
            case (ChannelFlowOk.CLASS_ID << 16) | ChannelFlowOk.METHOD_ID -> "channel.flow-ok";
            case (ChannelClose.CLASS_ID << 16) | ChannelClose.METHOD_ID -> "channel.close";
            case (ChannelCloseOk.CLASS_ID << 16) | ChannelCloseOk.METHOD_ID -> "channel.close-ok";
            case (AccessRequest.CLASS_ID << 16) | AccessRequest.METHOD_ID -> "access.request";
            case (AccessRequestOk.CLASS_ID << 16) | AccessRequestOk.METHOD_ID -> "access.request-ok";
            case (ExchangeDeclare.CLASS_ID << 16) | ExchangeDeclare.METHOD_ID -> "exchange.declare";
            case (ExchangeDeclareOk.CLASS_ID << 16) | ExchangeDeclareOk.METHOD_ID -> "exchange.declare-ok";
            case (ExchangeDelete.CLASS_ID << 16) | ExchangeDelete.METHOD_ID -> "exchange.delete";
            case (ExchangeDeleteOk.CLASS_ID << 16) | ExchangeDeleteOk.METHOD_ID -> "exchange.delete-ok";
            case (ExchangeBind.CLASS_ID << 16) | ExchangeBind.METHOD_ID -> "exchange.bind";
            case (ExchangeBindOk.CLASS_ID << 16) | ExchangeBindOk.METHOD_ID -> "exchange.bind-ok";
            case (ExchangeUnbind.CLASS_ID << 16) | ExchangeUnbind.METHOD_ID -> "exchange.unbind";
            case (ExchangeUnbindOk.CLASS_ID << 16) | ExchangeUnbindOk.METHOD_ID -> "exchange.unbind-ok";
            case (QueueDeclare.CLASS_ID << 16) | QueueDeclare.METHOD_ID -> "queue.declare";
            case (QueueDeclareOk.CLASS_ID << 16) | QueueDeclareOk.METHOD_ID -> "queue.declare-ok";
            case (QueueBind.CLASS_ID << 16) | QueueBind.METHOD_ID -> "queue.bind";
            case (QueueBindOk.CLASS_ID << 16) | QueueBindOk.METHOD_ID -> "queue.bind-ok";
            case (QueuePurge.CLASS_ID << 16) | QueuePurge.METHOD_ID -> "queue.purge";
            case (QueuePurgeOk.CLASS_ID << 16) | QueuePurgeOk.METHOD_ID -> "queue.purge-ok";
            case (QueueDelete.CLASS_ID << 16) | QueueDelete.METHOD_ID -> "queue.delete";
            case (QueueDeleteOk.CLASS_ID << 16) | QueueDeleteOk.METHOD_ID -> "queue.delete-ok";
            case (QueueUnbind.CLASS_ID << 16) | QueueUnbind.METHOD_ID -> "queue.unbind";
            case (QueueUnbindOk.CLASS_ID << 16) | QueueUnbindOk.METHOD_ID -> "queue.unbind-ok";
            case (BasicQos.CLASS_ID << 16) | BasicQos.METHOD_ID -> "basic.qos";
            case (BasicQosOk.CLASS_ID << 16) | BasicQosOk.METHOD_ID -> "basic.qos-ok";
            case (BasicConsume.CLASS_ID << 16) | BasicConsume.METHOD_ID -> "basic.consume";
            case (BasicConsumeOk.CLASS_ID << 16) | BasicConsumeOk.METHOD_ID -> "basic.consume-ok";
            case (BasicCancel.CLASS_ID << 16) | BasicCancel.METHOD_ID -> "basic.cancel";
            case (BasicCancelOk.CLASS_ID << 16) | BasicCancelOk.METHOD_ID -> "basic.cancel-ok";
            case (BasicPublish.CLASS_ID << 16) | BasicPublish.METHOD_ID -> "basic.publish";
            case (BasicReturn.CLASS_ID << 16) | BasicReturn.METHOD_ID -> "basic.return";
            case (BasicDeliver.CLASS_ID << 16) | BasicDeliver.METHOD_ID -> "basic.deliver";
            case (BasicGet.CLASS_ID << 16) | BasicGet.METHOD_ID -> "basic.get";
            case (BasicGetOk.CLASS_ID << 16) | BasicGetOk.METHOD_ID -> "basic.get-ok";
            case (BasicGetEmpty.CLASS_ID << 16) | BasicGetEmpty.METHOD_ID -> "basic.get-empty";
            case (BasicAck.CLASS_ID << 16) | BasicAck.METHOD_ID -> "basic.ack";
            case (BasicReject.CLASS_ID << 16) | BasicReject.METHOD_ID -> "basic.reject";
            case (BasicRecoverAsync.CLASS_ID << 16) | BasicRecoverAsync.METHOD_ID -> "basic.recover-async";
            case (BasicRecover.CLASS_ID << 16) | BasicRecover.METHOD_ID -> "basic.recover";
            case (BasicRecoverOk.CLASS_ID << 16) | BasicRecoverOk.METHOD_ID -> "basic.recover-ok";
            case (BasicNack.CLASS_ID << 16) | BasicNack.METHOD_ID -> "basic.nack";
            case (TxSelect.CLASS_ID << 16) | TxSelect.METHOD_ID -> "tx.select";
            case (TxSelectOk.CLASS_ID << 16) | TxSelectOk.METHOD_ID -> "tx.select-ok";
            case (TxCommit.CLASS_ID << 16) | TxCommit.METHOD_ID -> "tx.commit";
            case (TxCommitOk.CLASS_ID << 16) | TxCommitOk.METHOD_ID -> "tx.commit-ok";
            case (TxRollback.CLASS_ID << 16) | TxRollback.METHOD_ID -> "tx.rollback";
            case (TxRollbackOk.CLASS_ID << 16) | TxRollbackOk.METHOD_ID -> "tx.rollback-ok";
            case (ConfirmSelect.CLASS_ID << 16) | ConfirmSelect.METHOD_ID -> "confirm.select";
            case (ConfirmSelectOk.CLASS_ID << 16) | ConfirmSelectOk.METHOD_ID -> "confirm.select-ok";
            default -> null;
        };
    }

    private static Method decodeArguments(int key, ByteBuf in) {
        return switch (key) {
            case (ConnectionStart.CLASS_ID << 16) | ConnectionStart.METHOD_ID -> {
                int versionMajor = in.readUnsignedByte();
                int versionMinor = in.readUnsignedByte();
                Map<String, Object> serverProperties = FieldTable.read(in);
                LongString mechanisms = WireFormat.readLongString(in);
                LongString locales = WireFormat.readLongString(in);
                yield new ConnectionStart(versionMajor, versionMinor, serverProperties, mechanisms, locales);
            }
            case (ConnectionStartOk.CLASS_ID << 16) | ConnectionStartOk.METHOD_ID -> {
                Map<String, Object> clientProperties = FieldTable.read(in);
                String mechanism = WireFormat.readShortString(in);
                LongString response = WireFormat.readLongString(in);
                String locale = WireFormat.readShortString(in);
                yield new ConnectionStartOk(clientProperties, mechanism, response, locale);
            }
            case (ConnectionSecure.CLASS_ID << 16) | ConnectionSecure.METHOD_ID -> {
                LongString challenge = WireFormat.readLongString(in);
                yield new ConnectionSecure(challenge);
            }
            case (ConnectionSecureOk.CLASS_ID << 16) | ConnectionSecureOk.METHOD_ID -> {
                LongString response = WireFormat.readLongString(in);
                yield new ConnectionSecureOk(response);
            }
            case (ConnectionTune.CLASS_ID << 16) | ConnectionTune.METHOD_ID -> {
                int channelMax = in.readUnsignedShort();
                int frameMax = in.readInt();
                int heartbeat = in.readUnsignedShort();
                yield new ConnectionTune(channelMax, frameMax, heartbeat);
            }
            case (ConnectionTuneOk.CLASS_ID << 16) | ConnectionTuneOk.METHOD_ID -> {
                int channelMax = in.readUnsignedShort();
                int frameMax = in.readInt();
                int heartbeat = in.readUnsignedShort();
                yield new ConnectionTuneOk(channelMax, frameMax, heartbeat);
            }
            case (ConnectionOpen.CLASS_ID << 16) | ConnectionOpen.METHOD_ID -> {
                String virtualHost = WireFormat.readShortString(in);
                WireFormat.readShortString(in);
                in.skipBytes(1);
                yield new ConnectionOpen(virtualHost);
            }
            case (ConnectionOpenOk.CLASS_ID << 16) | ConnectionOpenOk.METHOD_ID -> {
                WireFormat.readShortString(in);
                yield new ConnectionOpenOk();
            }
            case (ConnectionClose.CLASS_ID << 16) | ConnectionClose.METHOD_ID -> {
                int replyCode = in.readUnsignedShort();
                String replyText = WireFormat.readShortStringLenient(in);
                int failingClassId = in.readUnsignedShort();
                int failingMethodId = in.readUnsignedShort();
                yield new ConnectionClose(replyCode, replyText, failingClassId, failingMethodId);
            }
            case (ConnectionCloseOk.CLASS_ID << 16) | ConnectionCloseOk.METHOD_ID -> new ConnectionCloseOk();
            case (ConnectionBlocked.CLASS_ID << 16) | ConnectionBlocked.METHOD_ID -> {
                String reason = WireFormat.readShortString(in);
                yield new ConnectionBlocked(reason);
            }
            case (ConnectionUnblocked.CLASS_ID << 16) | ConnectionUnblocked.METHOD_ID -> new ConnectionUnblocked();
            case (ConnectionUpdateSecret.CLASS_ID << 16) | ConnectionUpdateSecret.METHOD_ID -> {
                LongString newSecret = WireFormat.readLongString(in);
                String reason = WireFormat.readShortString(in);
                yield new ConnectionUpdateSecret(newSecret, reason);
            }
            case (ConnectionUpdateSecretOk.CLASS_ID << 16) | ConnectionUpdateSecretOk.METHOD_ID -> new ConnectionUpdateSecretOk();
            case (ChannelOpen.CLASS_ID << 16) | ChannelOpen.METHOD_ID -> {
                WireFormat.readShortString(in);
                yield new ChannelOpen();
            }
            case (ChannelOpenOk.CLASS_ID << 16) | ChannelOpenOk.METHOD_ID -> {
                WireFormat.readLongStringBytes(in);
                yield new ChannelOpenOk();
            }
            case (ChannelFlow.CLASS_ID << 16) | ChannelFlow.METHOD_ID -> {
                int bits1 = in.readUnsignedByte();
                yield new ChannelFlow((bits1 & 1) != 0);
            }
            case (ChannelFlowOk.CLASS_ID << 16) | ChannelFlowOk.METHOD_ID -> {
                int bits1 = in.readUnsignedByte();
                yield new ChannelFlowOk((bits1 & 1) != 0);
            }
            case (ChannelClose.CLASS_ID << 16) | ChannelClose.METHOD_ID -> {
                int replyCode = in.readUnsignedShort();
                String replyText = WireFormat.readShortStringLenient(in);
                int failingClassId = in.readUnsignedShort();
                int failingMethodId = in.readUnsignedShort();
                yield new ChannelClose(replyCode, replyText, failingClassId, failingMethodId);
            }
            case (ChannelCloseOk.CLASS_ID << 16) | ChannelCloseOk.METHOD_ID -> new ChannelCloseOk();
            case (AccessRequest.CLASS_ID << 16) | AccessRequest.METHOD_ID -> {
                String realm = WireFormat.readShortString(in);
                int bits1 = in.readUnsignedByte();
                yield new AccessRequest(
                        realm,
                        (bits1 & 1) != 0,
                        (bits1 & 2) != 0,
                        (bits1 & 4) != 0,
                        (bits1 & 8) != 0,
                        (bits1 & 16) != 0);
            }
            case (AccessRequestOk.CLASS_ID << 16) | AccessRequestOk.METHOD_ID -> {
                in.skipBytes(2);
                yield new AccessRequestOk();
            }
            case (ExchangeDeclare.CLASS_ID << 16) | ExchangeDeclare.METHOD_ID -> {
                in.skipBytes(2);
                String exchange = WireFormat.readShortString(in);
                String type = WireFormat.readShortString(in);
                int bits1 = in.readUnsignedByte();
                Map<String, Object> arguments = FieldTable.read(in);
                yield new ExchangeDeclare(
                        exchange,
                        type,
                        (bits1 & 1) != 0,
                        (bits1 & 2) != 0,
                        (bits1 & 4) != 0,
                        (bits1 & 8) != 0,
                        (bits1 & 16) != 0,
                        arguments);
            }
            case (ExchangeDeclareOk.CLASS_ID << 16) | ExchangeDeclareOk.METHOD_ID -> new ExchangeDeclareOk();
            case (ExchangeDelete.CLASS_ID << 16) | ExchangeDelete.METHOD_ID -> {
                in.skipBytes(2);
                String exchange = WireFormat.readShortString(in);
                int bits1 = in.readUnsignedByte();
                yield new ExchangeDelete(exchange, (bits1 & 1) != 0, (bits1 & 2) != 0);
            }
            case (ExchangeDeleteOk.CLASS_ID << 16) | ExchangeDeleteOk.METHOD_ID -> new ExchangeDeleteOk();
            case (ExchangeBind.CLASS_ID << 16) | ExchangeBind.METHOD_ID -> {
                in.skipBytes(2);
                String destination = WireFormat.readShortString(in);
                String source = WireFormat.readShortString(in);
                String routingKey = WireFormat.readShortString(in);
                int bits1 = in.readUnsignedByte();
                Map<String, Object> arguments = FieldTable.read(in);
                yield new ExchangeBind(destination, source, routingKey, (bits1 & 1) != 0, arguments);
            }
            case (ExchangeBindOk.CLASS_ID << 16) | ExchangeBindOk.METHOD_ID -> new ExchangeBindOk();
            case (ExchangeUnbind.CLASS_ID << 16) | ExchangeUnbind.METHOD_ID -> {
                in.skipBytes(2);
                String destination = WireFormat.readShortString(in);
                String source = WireFormat.readShortString(in);
                String routingKey = WireFormat.readShortString(in);
                int bits1 = in.readUnsignedByte();
                Map<String, Object> arguments = FieldTable.read(in);
                yield new ExchangeUnbind(destination, source, routingKey, (bits1 & 1) != 0, arguments);
            }
            case (ExchangeUnbindOk.CLASS_ID << 16) | ExchangeUnbindOk.METHOD_ID -> new ExchangeUnbindOk();
            case (QueueDeclare.CLASS_ID << 16) | QueueDeclare.METHOD_ID -> {
                in.skipBytes(2);
                String queue = WireFormat.readShortString(in);
                int bits1 = in.readUnsignedByte();
                Map<String, Object> arguments = FieldTable.read(in);
                yield new QueueDeclare(
                        queue,
                        (bits1 & 1) != 0,
                        (bits1 & 2) != 0,
                        (bits1 & 4) != 0,
                        (bits1 & 8) != 0,
                        (bits1 & 16) != 0,
                        arguments);
            }
            case (QueueDeclareOk.CLASS_ID << 16) | QueueDeclareOk.METHOD_ID -> {
                String queue = WireFormat.readShortString(in);
                int messageCount = in.readInt();
                int consumerCount = in.readInt();
                yield new QueueDeclareOk(queue, messageCount, consumerCount);
            }
            case (QueueBind.CLASS_ID << 16) | QueueBind.METHOD_ID -> {
                in.skipBytes(2);
                String queue = WireFormat.readShortString(in);
                String exchange = WireFormat.readShortString(in);
                String routingKey = WireFormat.readShortString(in);
                int bits1 = in.readUnsignedByte();
                Map<String, Object> arguments = FieldTable.read(in);
                yield new QueueBind(queue, exchange, routingKey, (bits1 & 1) != 0, arguments);
            }
            case (QueueBindOk.CLASS_ID << 16) | QueueBindOk.METHOD_ID -> new QueueBindOk();
            case (QueuePurge.CLASS_ID << 16) | QueuePurge.METHOD_ID -> {
                in.skipBytes(2);
                String queue = WireFormat.readShortString(in);
                int bits1 = in.readUnsignedByte();
                yield new QueuePurge(queue, (bits1 & 1) != 0);
            }
            case (QueuePurgeOk.CLASS_ID << 16) | QueuePurgeOk.METHOD_ID -> {
                int messageCount = in.readInt();
                yield new QueuePurgeOk(messageCount);
            }
            case (QueueDelete.CLASS_ID << 16) | QueueDelete.METHOD_ID -> {
                in.skipBytes(2);
                String queue = WireFormat.readShortString(in);
                int bits1 = in.readUnsignedByte();
                yield new QueueDelete(queue, (bits1 & 1) != 0, (bits1 & 2) != 0, (bits1 & 4) != 0);
            }
            case (QueueDeleteOk.CLASS_ID << 16) | QueueDeleteOk.METHOD_ID -> {
                int messageCount = in.readInt();
                yield new QueueDeleteOk(messageCount);
            }
            case (QueueUnbind.CLASS_ID << 16) | QueueUnbind.METHOD_ID -> {
                in.skipBytes(2);
                String queue = WireFormat.readShortString(in);
                String exchange = WireFormat.readShortString(in);
                String routingKey = WireFormat.readShortString(in);
                Map<String, Object> arguments = FieldTable.read(in);
                yield new QueueUnbind(queue, exchange, routingKey, arguments);
            }
            case (QueueUnbindOk.CLASS_ID << 16) | QueueUnbindOk.METHOD_ID -> new QueueUnbindOk();
            case (BasicQos.CLASS_ID << 16) | BasicQos.METHOD_ID -> {
                int prefetchSize = in.readInt();
                int prefetchCount = in.readUnsignedShort();
                int bits1 = in.readUnsignedByte();
                yield new BasicQos(prefetchSize, prefetchCount, (bits1 & 1) != 0);
            }
            case (BasicQosOk.CLASS_ID << 16) | BasicQosOk.METHOD_ID -> new BasicQosOk();
            case (BasicConsume.CLASS_ID << 16) | BasicConsume.METHOD_ID -> {
                in.skipBytes(2);
                String queue = WireFormat.readShortString(in);
                String consumerTag = WireFormat.readShortString(in);
                int bits1 = in.readUnsignedByte();
                Map<String, Object> arguments = FieldTable.read(in);
                yield new BasicConsume(
                        queue,
                        consumerTag,
                        (bits1 & 1) != 0,
                        (bits1 & 2) != 0,
                        (bits1 & 4) != 0,
                        (bits1 & 8) != 0,
                        arguments);
            }
            case (BasicConsumeOk.CLASS_ID << 16) | BasicConsumeOk.METHOD_ID -> {
                String consumerTag = WireFormat.readShortString(in);
                yield new BasicConsumeOk(consumerTag);
            }
            case (BasicCancel.CLASS_ID << 16) | BasicCancel.METHOD_ID -> {
                String consumerTag = WireFormat.readShortString(in);
                int bits1 = in.readUnsignedByte();
                yield new BasicCancel(consumerTag, (bits1 & 1) != 0);
            }
            case (BasicCancelOk.CLASS_ID << 16) | BasicCancelOk.METHOD_ID -> {
                String consumerTag = WireFormat.readShortString(in);
                yield new BasicCancelOk(consumerTag);
            }
            case (BasicPublish.CLASS_ID << 16) | BasicPublish.METHOD_ID -> {
                in.skipBytes(2);
                String exchange = WireFormat.readShortStringLenient(in);
                String routingKey = WireFormat.readShortStringLenient(in);
                int bits1 = in.readUnsignedByte();
                yield new BasicPublish(exchange, routingKey, (bits1 & 1) != 0, (bits1 & 2) != 0);
            }
            case (BasicReturn.CLASS_ID << 16) | BasicReturn.METHOD_ID -> {
                int replyCode = in.readUnsignedShort();
                String replyText = WireFormat.readShortStringLenient(in);
                String exchange = WireFormat.readShortString(in);
                String routingKey = WireFormat.readShortString(in);
                yield new BasicReturn(replyCode, replyText, exchange, routingKey);
            }
            case (BasicDeliver.CLASS_ID << 16) | BasicDeliver.METHOD_ID -> {
                String consumerTag = WireFormat.readShortString(in);
                long deliveryTag = in.readLong();
                int bits1 = in.readUnsignedByte();
                String exchange = WireFormat.readShortString(in);
                String routingKey = WireFormat.readShortString(in);
                yield new BasicDeliver(consumerTag, deliveryTag, (bits1 & 1) != 0, exchange, routingKey);
            }
            case (BasicGet.CLASS_ID << 16) | BasicGet.METHOD_ID -> {
                in.skipBytes(2);
                String queue = WireFormat.readShortString(in);
                int bits1 = in.readUnsignedByte();
                yield new BasicGet(queue, (bits1 & 1) != 0);
            }
            case (BasicGetOk.CLASS_ID << 16) | BasicGetOk.METHOD_ID -> {
                long deliveryTag = in.readLong();
                int bits1 = in.readUnsignedByte();
                String exchange = WireFormat.readShortString(in);
                String routingKey = WireFormat.readShortString(in);
                int messageCount = in.readInt();
                yield new BasicGetOk(deliveryTag, (bits1 & 1) != 0, exchange, routingKey, messageCount);
            }
            case (BasicGetEmpty.CLASS_ID << 16) | BasicGetEmpty.METHOD_ID -> {
                WireFormat.readShortString(in);
                yield new BasicGetEmpty();
            }
            case (BasicAck.CLASS_ID << 16) | BasicAck.METHOD_ID -> {
                long deliveryTag = in.readLong();
                int bits1 = in.readUnsignedByte();
                yield new BasicAck(deliveryTag, (bits1 & 1) != 0);
            }
            case (BasicReject.CLASS_ID << 16) | BasicReject.METHOD_ID -> {
                long deliveryTag = in.readLong();
                int bits1 = in.readUnsignedByte();
                yield new BasicReject(deliveryTag, (bits1 & 1) != 0);
            }
            case (BasicRecoverAsync.CLASS_ID << 16) | BasicRecoverAsync.METHOD_ID -> {
                int bits1 = in.readUnsignedByte();
                yield new BasicRecoverAsync((bits1 & 1) != 0);
            }
            case (BasicRecover.CLASS_ID << 16) | BasicRecover.METHOD_ID -> {
                int bits1 = in.readUnsignedByte();
                yield new BasicRecover((bits1 & 1) != 0);
            }
            case (BasicRecoverOk.CLASS_ID << 16) | BasicRecoverOk.METHOD_ID -> new BasicRecoverOk();
            case (BasicNack.CLASS_ID << 16) | BasicNack.METHOD_ID -> {
                long deliveryTag = in.readLong();
                int bits1 = in.readUnsignedByte();
                yield new BasicNack(deliveryTag, (bits1 & 1) != 0, (bits1 & 2) != 0);
            }
            case (TxSelect.CLASS_ID << 16) | TxSelect.METHOD_ID -> new TxSelect();
            case (TxSelectOk.CLASS_ID << 16) | TxSelectOk.METHOD_ID -> new TxSelectOk();
            case (TxCommit.CLASS_ID << 16) | TxCommit.METHOD_ID -> new TxCommit();
            case (TxCommitOk.CLASS_ID << 16) | TxCommitOk.METHOD_ID -> new TxCommitOk();
            case (TxRollback.CLASS_ID << 16) | TxRollback.METHOD_ID -> new TxRollback();
            case (TxRollbackOk.CLASS_ID << 16) | TxRollbackOk.METHOD_ID -> new TxRollbackOk();
            case (ConfirmSelect.CLASS_ID << 16) | ConfirmSelect.METHOD_ID -> {
                int bits1 = in.readUnsignedByte();
                yield new ConfirmSelect((bits1 & 1) != 0);
            }
            case (ConfirmSelectOk.CLASS_ID << 16) | ConfirmSelectOk.METHOD_ID -> new ConfirmSelectOk();
            default -> throw new IllegalStateException("no decoder for " + (key >>> 16) + "/" + (key & 0xFFFF));
        };
    }

    private static void encodeArguments(Method method, ByteBuf out) {
        switch ((method.classId() << 16) | method.methodId()) {
            case (ConnectionStart.CLASS_ID << 16) | ConnectionStart.METHOD_ID -> {
                ConnectionStart a = (ConnectionStart) method;
                out.writeByte(a.versionMajor());
                out.writeByte(a.versionMinor());
                FieldTable.write(out, a.serverProperties());
                WireFormat.writeLongString(out, a.mechanisms());
                WireFormat.writeLongString(out, a.locales());
            }
            case (ConnectionStartOk.CLASS_ID << 16) | ConnectionStartOk.METHOD_ID -> {
                ConnectionStartOk a = (ConnectionStartOk) method;
                FieldTable.write(out, a.clientProperties());
                WireFormat.writeShortString(out, a.mechanism());
                WireFormat.writeLongString(out, a.response());
                WireFormat.writeShortString(out, a.locale());
            }
            case (ConnectionSecure.CLASS_ID << 16) | ConnectionSecure.METHOD_ID -> {
                ConnectionSecure a = (ConnectionSecure) method;
                WireFormat.writeLongString(out, a.challenge());
            }
            case (ConnectionSecureOk.CLASS_ID << 16) | ConnectionSecureOk.METHOD_ID -> {
                ConnectionSecureOk a = (ConnectionSecureOk) method;
                WireFormat.writeLongString(out, a.response());
            }
            case (ConnectionTune.CLASS_ID << 16) | ConnectionTune.METHOD_ID -> {
                ConnectionTune a = (ConnectionTune) method;
                out.writeShort(a.channelMax());
                out.writeInt(a.frameMax());
                out.writeShort(a.heartbeat());
            }
            case (ConnectionTuneOk.CLASS_ID << 16) | ConnectionTuneOk.METHOD_ID -> {
                ConnectionTuneOk a = (ConnectionTuneOk) method;
                out.writeShort(a.channelMax());
                out.writeInt(a.frameMax());
                out.writeShort(a.heartbeat());
            }
            case (ConnectionOpen.CLASS_ID << 16) | ConnectionOpen.METHOD_ID -> {
                ConnectionOpen a = (ConnectionOpen) method;
                WireFormat.writeShortString(out, a.virtualHost());
                out.writeByte(0);
                out.writeByte(0);
            }
            case (ConnectionOpenOk.CLASS_ID << 16) | ConnectionOpenOk.METHOD_ID -> {
                out.writeByte(0);
            }
            case (ConnectionClose.CLASS_ID << 16) | ConnectionClose.METHOD_ID -> {
                ConnectionClose a = (ConnectionClose) method;
                out.writeShort(a.replyCode());
                WireFormat.writeReplyText(out, a.replyText());
                out.writeShort(a.failingClassId());
                out.writeShort(a.failingMethodId());
            }
            case (ConnectionCloseOk.CLASS_ID << 16) | ConnectionCloseOk.METHOD_ID -> {
                // no arguments
            }
            case (ConnectionBlocked.CLASS_ID << 16) | ConnectionBlocked.METHOD_ID -> {
                ConnectionBlocked a = (ConnectionBlocked) method;
                WireFormat.writeShortString(out, a.reason());
            }
            case (ConnectionUnblocked.CLASS_ID << 16) | ConnectionUnblocked.METHOD_ID -> {
                // no arguments
            }
            case (ConnectionUpdateSecret.CLASS_ID << 16) | ConnectionUpdateSecret.METHOD_ID -> {
                ConnectionUpdateSecret a = (ConnectionUpdateSecret) method;
                WireFormat.writeLongString(out, a.newSecret());
                WireFormat.writeShortString(out, a.reason());
            }
            case (ConnectionUpdateSecretOk.CLASS_ID << 16) | ConnectionUpdateSecretOk.METHOD_ID -> {
                // no arguments
            }
            case (ChannelOpen.CLASS_ID << 16) | ChannelOpen.METHOD_ID -> {
                out.writeByte(0);
            }
            case (ChannelOpenOk.CLASS_ID << 16) | ChannelOpenOk.METHOD_ID -> {
                out.writeInt(0);
            }
            case (ChannelFlow.CLASS_ID << 16) | ChannelFlow.METHOD_ID -> {
                ChannelFlow a = (ChannelFlow) method;
                out.writeByte((a.active() ? 1 : 0));
            }
            case (ChannelFlowOk.CLASS_ID << 16) | ChannelFlowOk.METHOD_ID -> {
                ChannelFlowOk a = (ChannelFlowOk) method;
                out.writeByte((a.active() ? 1 : 0));
            }
            case (ChannelClose.CLASS_ID << 16) | ChannelClose.METHOD_ID -> {
                ChannelClose a = (ChannelClose) method;
                out.writeShort(a.replyCode());
                WireFormat.writeReplyText(out, a.replyText());
                out.writeShort(a.failingClassId());
                out.writeShort(a.failingMethodId());
            }
            case (ChannelCloseOk.CLASS_ID << 16) | ChannelCloseOk.METHOD_ID -> {
                // no arguments
            }
            case (AccessRequest.CLASS_ID << 16) | AccessRequest.METHOD_ID -> {
                AccessRequest a = (AccessRequest) method;
                WireFormat.writeShortString(out, a.realm());
                out.writeByte(
                        (a.exclusive() ? 1 : 0)
                        | (a.passive() ? 2 : 0)
                        | (a.active() ? 4 : 0)
                        | (a.write() ? 8 : 0)
                        | (a.read() ? 16 : 0));
            }
            case (AccessRequestOk.CLASS_ID << 16) | AccessRequestOk.METHOD_ID -> {
                out.writeShort(1);
            }
            case (ExchangeDeclare.CLASS_ID << 16) | ExchangeDeclare.METHOD_ID -> {
                ExchangeDeclare a = (ExchangeDeclare) method;
                out.writeShort(0);
                WireFormat.writeShortString(out, a.exchange());
                WireFormat.writeShortString(out, a.type());
                out.writeByte(
                        (a.passive() ? 1 : 0)
                        | (a.durable() ? 2 : 0)
                        | (a.autoDelete() ? 4 : 0)
                        | (a.internal() ? 8 : 0)
                        | (a.noWait() ? 16 : 0));
                FieldTable.write(out, a.arguments());
            }
            case (ExchangeDeclareOk.CLASS_ID << 16) | ExchangeDeclareOk.METHOD_ID -> {
                // no arguments
            }
            case (ExchangeDelete.CLASS_ID << 16) | ExchangeDelete.METHOD_ID -> {
                ExchangeDelete a = (ExchangeDelete) method;
                out.writeShort(0);
                WireFormat.writeShortString(out, a.exchange());
                out.writeByte((a.ifUnused() ? 1 : 0)| (a.noWait() ? 2 : 0));
            }
            case (ExchangeDeleteOk.CLASS_ID << 16) | ExchangeDeleteOk.METHOD_ID -> {
                // no arguments
            }
            case (ExchangeBind.CLASS_ID << 16) | ExchangeBind.METHOD_ID -> {
                ExchangeBind a = (ExchangeBind) method;
                out.writeShort(0);
                WireFormat.writeShortString(out, a.destination());
                WireFormat.writeShortString(out, a.source());
                WireFormat.writeShortString(out, a.routingKey());
                out.writeByte((a.noWait() ? 1 : 0));
                FieldTable.write(out, a.arguments());
            }
            case (ExchangeBindOk.CLASS_ID << 16) | ExchangeBindOk.METHOD_ID -> {
                // no arguments
            }
            case (ExchangeUnbind.CLASS_ID << 16) | ExchangeUnbind.METHOD_ID -> {
                ExchangeUnbind a = (ExchangeUnbind) method;
                out.writeShort(0);
                WireFormat.writeShortString(out, a.destination());
                WireFormat.writeShortString(out, a.source());
                WireFormat.writeShortString(out, a.routingKey());
                out.writeByte((a.noWait() ? 1 : 0));
                FieldTable.write(out, a.arguments());
            }
            case (ExchangeUnbindOk.CLASS_ID << 16) | ExchangeUnbindOk.METHOD_ID -> {
                // no arguments
            }
            case (QueueDeclare.CLASS_ID << 16) | QueueDeclare.METHOD_ID -> {
                QueueDeclare a = (QueueDeclare) method;
                out.writeShort(0);
                WireFormat.writeShortString(out, a.queue());
                out.writeByte(
                        (a.passive() ? 1 : 0)
                        | (a.durable() ? 2 : 0)
                        | (a.exclusive() ? 4 : 0)
                        | (a.autoDelete() ? 8 : 0)
                        | (a.noWait() ? 16 : 0));
                FieldTable.write(out, a.arguments());
            }
            case (QueueDeclareOk.CLASS_ID << 16) | QueueDeclareOk.METHOD_ID -> {
                QueueDeclareOk a = (QueueDeclareOk) method;
                WireFormat.writeShortString(out, a.queue());
                out.writeInt(a.messageCount());
                out.writeInt(a.consumerCount());
            }
            case (QueueBind.CLASS_ID << 16) | QueueBind.METHOD_ID -> {
                QueueBind a = (QueueBind) method;
                out.writeShort(0);
                WireFormat.writeShortString(out, a.queue());
                WireFormat.writeShortString(out, a.exchange());
                WireFormat.writeShortString(out, a.routingKey());
                out.writeByte((a.noWait() ? 1 : 0));
                FieldTable.write(out, a.arguments());
            }
            case (QueueBindOk.CLASS_ID << 16) | QueueBindOk.METHOD_ID -> {
                // no arguments
            }
            case (QueuePurge.CLASS_ID << 16) | QueuePurge.METHOD_ID -> {
                QueuePurge a = (QueuePurge) method;
                out.writeShort(0);
                WireFormat.writeShortString(out, a.queue());
                out.writeByte((a.noWait() ? 1 : 0));
            }
            case (QueuePurgeOk.CLASS_ID << 16) | QueuePurgeOk.METHOD_ID -> {
                QueuePurgeOk a = (QueuePurgeOk) method;
                out.writeInt(a.messageCount());
            }
            case (QueueDelete.CLASS_ID << 16) | QueueDelete.METHOD_ID -> {
                QueueDelete a = (QueueDelete) method;
                out.writeShort(0);
                WireFormat.writeShortString(out, a.queue());
                out.writeByte((a.ifUnused() ? 1 : 0)| (a.ifEmpty() ? 2 : 0)| (a.noWait() ? 4 : 0));
            }
            case (QueueDeleteOk.CLASS_ID << 16) | QueueDeleteOk.METHOD_ID -> {
                QueueDeleteOk a = (QueueDeleteOk) method;
                out.writeInt(a.messageCount());
            }
            case (QueueUnbind.CLASS_ID << 16) | QueueUnbind.METHOD_ID -> {
                QueueUnbind a = (QueueUnbind) method;
                out.writeShort(0);
                WireFormat.writeShortString(out, a.queue());
                WireFormat.writeShortString(out, a.exchange());
                WireFormat.writeShortString(out, a.routingKey());
                FieldTable.write(out, a.arguments());
            }
            case (QueueUnbindOk.CLASS_ID << 16) | QueueUnbindOk.METHOD_ID -> {
                // no arguments
            }
            case (BasicQos.CLASS_ID << 16) | BasicQos.METHOD_ID -> {
                BasicQos a = (BasicQos) method;
                out.writeInt(a.prefetchSize());
                out.writeShort(a.prefetchCount());
                out.writeByte((a.global() ? 1 : 0));
            }
            case (BasicQosOk.CLASS_ID << 16) | BasicQosOk.METHOD_ID -> {
                // no arguments
            }
            case (BasicConsume.CLASS_ID << 16) | BasicConsume.METHOD_ID -> {
                BasicConsume a = (BasicConsume) method;
                out.writeShort(0);
                WireFormat.writeShortString(out, a.queue());
                WireFormat.writeShortString(out, a.consumerTag());
                out.writeByte(
                        (a.noLocal() ? 1 : 0)
                        | (a.noAck() ? 2 : 0)
                        | (a.exclusive() ? 4 : 0)
                        | (a.noWait() ? 8 : 0));
                FieldTable.write(out, a.arguments());
            }
            case (BasicConsumeOk.CLASS_ID << 16) | BasicConsumeOk.METHOD_ID -> {
                BasicConsumeOk a = (BasicConsumeOk) method;
                WireFormat.writeShortString(out, a.consumerTag());
            }
            case (BasicCancel.CLASS_ID << 16) | BasicCancel.METHOD_ID -> {
                BasicCancel a = (BasicCancel) method;
                WireFormat.writeShortString(out, a.consumerTag());
                out.writeByte((a.noWait() ? 1 : 0));
            }
            case (BasicCancelOk.CLASS_ID << 16) | BasicCancelOk.METHOD_ID -> {
                BasicCancelOk a = (BasicCancelOk) method;
                WireFormat.writeShortString(out, a.consumerTag());
            }
            case (BasicPublish.CLASS_ID << 16) | BasicPublish.METHOD_ID -> {
                BasicPublish a = (BasicPublish) method;
                out.writeShort(0);
                WireFormat.writeShortString(out, a.exchange());
                WireFormat.writeShortString(out, a.routingKey());
                out.writeByte((a.mandatory() ? 1 : 0)| (a.immediate() ? 2 : 0));
            }
            case (BasicReturn.CLASS_ID << 16) | BasicReturn.METHOD_ID -> {
                BasicReturn a = (BasicReturn) method;
                out.writeShort(a.replyCode());
                WireFormat.writeReplyText(out, a.replyText());
                WireFormat.writeShortString(out, a.exchange());
                WireFormat.writeShortString(out, a.routingKey());
            }
            case (BasicDeliver.CLASS_ID << 16) | BasicDeliver.METHOD_ID -> {
                BasicDeliver a = (BasicDeliver) method;
                WireFormat.writeShortString(out, a.consumerTag());
                out.writeLong(a.deliveryTag());
                out.writeByte((a.redelivered() ? 1 : 0));
                WireFormat.writeShortString(out, a.exchange());
                WireFormat.writeShortString(out, a.routingKey());
            }
            case (BasicGet.CLASS_ID << 16) | BasicGet.METHOD_ID -> {
                BasicGet a = (BasicGet) method;
                out.writeShort(0);
                WireFormat.writeShortString(out, a.queue());
                out.writeByte((a.noAck() ? 1 : 0));
            }
            case (BasicGetOk.CLASS_ID << 16) | BasicGetOk.METHOD_ID -> {
                BasicGetOk a = (BasicGetOk) method;
                out.writeLong(a.deliveryTag());
                out.writeByte((a.redelivered() ? 1 : 0));
                WireFormat.writeShortString(out, a.exchange());
                WireFormat.writeShortString(out, a.routingKey());
                out.writeInt(a.messageCount());
            }
            case (BasicGetEmpty.CLASS_ID << 16) | BasicGetEmpty.METHOD_ID -> {
                out.writeByte(0);
            }
            case (BasicAck.CLASS_ID << 16) | BasicAck.METHOD_ID -> {
                BasicAck a = (BasicAck) method;
                out.writeLong(a.deliveryTag());
                out.writeByte((a.multiple() ? 1 : 0));
            }
            case (BasicReject.CLASS_ID << 16) | BasicReject.METHOD_ID -> {
                BasicReject a = (BasicReject) method;
                out.writeLong(a.deliveryTag());
                out.writeByte((a.requeue() ? 1 : 0));
            }
            case (BasicRecoverAsync.CLASS_ID << 16) | BasicRecoverAsync.METHOD_ID -> {
                BasicRecoverAsync a = (BasicRecoverAsync) method;
                out.writeByte((a.requeue() ? 1 : 0));
            }
            case (BasicRecover.CLASS_ID << 16) | BasicRecover.METHOD_ID -> {
                BasicRecover a = (BasicRecover) method;
                out.writeByte((a.requeue() ? 1 : 0));
            }
            case (BasicRecoverOk.CLASS_ID << 16) | BasicRecoverOk.METHOD_ID -> {
                // no arguments
            }
            case (BasicNack.CLASS_ID << 16) | BasicNack.METHOD_ID -> {
                BasicNack a = (BasicNack) method;
                out.writeLong(a.deliveryTag());
                out.writeByte((a.multiple() ? 1 : 0)| (a.requeue() ? 2 : 0));
            }
            case (TxSelect.CLASS_ID << 16) | TxSelect.METHOD_ID -> {
                // no arguments
            }
            case (TxSelectOk.CLASS_ID << 16) | TxSelectOk.METHOD_ID -> {
                // no arguments
            }
            case (TxCommit.CLASS_ID << 16) | TxCommit.METHOD_ID -> {
                // no arguments
            }
            case (TxCommitOk.CLASS_ID << 16) | TxCommitOk.METHOD_ID -> {
                // no arguments
            }
            case (TxRollback.CLASS_ID << 16) | TxRollback.METHOD_ID -> {
                // no arguments
            }
            case (TxRollbackOk.CLASS_ID << 16) | TxRollbackOk.METHOD_ID -> {
                // no arguments
            }
            case (ConfirmSelect.CLASS_ID << 16) | ConfirmSelect.METHOD_ID -> {
                ConfirmSelect a = (ConfirmSelect) method;
                out.writeByte((a.noWait() ? 1 : 0));
            }
            case (ConfirmSelectOk.CLASS_ID << 16) | ConfirmSelectOk.METHOD_ID -> {
                // no arguments
            }
            default -> throw new IllegalArgumentException("unknown method " + method);
        }
    }
}
