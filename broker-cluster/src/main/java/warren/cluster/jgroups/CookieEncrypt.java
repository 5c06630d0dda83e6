package warren.cluster.jgroups;

import java.util.Iterator;
import java.util.ArrayList;
import java.util.List;
import org.jgroups.Message;
import org.jgroups.conf.ClassConfigurator;
import org.jgroups.protocols.SYM_ENCRYPT;
import org.jgroups.protocols.pbcast.GMS;
import org.jgroups.protocols.pbcast.JoinRsp;
import org.jgroups.util.MessageBatch;
import org.jgroups.util.Util;

/**
 * SYM_ENCRYPT keyed with the cookie-derived AES key, letting one kind of clear message through:
 * a join or merge refusal from {@link CookieAuth} on a node with another cookie.
 *
 * <p>Why: that node cannot encrypt for us (different key), so its refusal arrives in clear and the
 * stock protocol would drop it ("message without encrypt header"); the join would then time out
 * and the node would silently form a cluster of its own instead of failing with a reason. A forged
 * refusal can only make a join fail, which an attacker on the path can do by dropping packets
 * anyway; nothing that carries state is accepted unencrypted.
 */
final class CookieEncrypt extends SYM_ENCRYPT {

    private static final short GMS_ID = ClassConfigurator.getProtocolId(GMS.class);

    CookieEncrypt() {
        // Subclasses get protocol id 0 by default; reuse SYM_ENCRYPT's for its EncryptHeader.
        setId(ClassConfigurator.getProtocolId(SYM_ENCRYPT.class));
    }

    @Override
    public Object up(Message msg) {
        if (msg.getHeader(id) == null && isClearRefusal(msg)) {
            return up_prot.up(msg);
        }
        return super.up(msg);
    }

    @Override
    public void up(MessageBatch batch) {
        List<Message> refusals = null;
        Iterator<Message> it = batch.iterator();
        while (it.hasNext()) {
            Message msg = it.next();
            if (msg.getHeader(id) == null && isClearRefusal(msg)) {
                if (refusals == null) {
                    refusals = new ArrayList<>(1);
                }
                refusals.add(msg);
                it.remove();
            }
        }
        if (refusals != null) {
            refusals.forEach(up_prot::up);
        }
        if (!batch.isEmpty()) {
            super.up(batch);
        }
    }

    private static boolean isClearRefusal(Message msg) {
        if (!(msg.getHeader(GMS_ID) instanceof GMS.GmsHeader hdr)) {
            return false;
        }
        if (hdr.getType() == GMS.GmsHeader.MERGE_RSP) {
            return hdr.isMergeRejected();
        }
        if (hdr.getType() != GMS.GmsHeader.JOIN_RSP || msg.getArray() == null) {
            return false;
        }
        try {
            JoinRsp rsp = Util.streamableFromBuffer(JoinRsp::new, msg.getArray(), msg.getOffset(), msg.getLength());
            return rsp.getFailReason() != null && rsp.getView() == null;
        } catch (Exception e) {
            return false;
        }
    }
}
