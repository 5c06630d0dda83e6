"""pika interop check: declare, publish with confirms, consume, ack. Usage: pika_roundtrip.py PORT QUEUE N"""
import sys
import pika

port, queue, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
params = pika.ConnectionParameters(host="127.0.0.1", port=port,
                                   credentials=pika.PlainCredentials("guest", "guest"),
                                   heartbeat=30, blocked_connection_timeout=10)
conn = pika.BlockingConnection(params)
ch = conn.channel()
ch.confirm_delivery()
ch.queue_declare(queue=queue, durable=False, auto_delete=False)
for i in range(n):
    ch.basic_publish(exchange="", routing_key=queue, body=("msg-%d" % i).encode(),
                     properties=pika.BasicProperties(content_type="text/plain", headers={"i": i}),
                     mandatory=True)
print("published", n)
received = []
for method, props, body in ch.consume(queue, auto_ack=False, inactivity_timeout=10):
    if method is None:
        break
    assert props.headers["i"] == len(received), props.headers
    received.append(body.decode())
    ch.basic_ack(method.delivery_tag)
    if len(received) == n:
        break
ch.cancel()
ok = ch.queue_declare(queue=queue, passive=True)
print("received", ",".join(received))
print("remaining", ok.method.message_count)
ch.queue_delete(queue=queue)
conn.close()
print("done")
