#!/usr/bin/env python3
"""A hubspoke plugin in Python, run out of process by a control plane.

It subscribes to the Up event `sensor.reading` (edges publish it) and answers each one with a Down event
`sensor.ack` addressed to the edge that sent it, carrying the reading's correlation id. Run it with

    plugins: [{ command: ['python3', 'examples/python-plugin/plugin.py'], env: { PYTHONPATH: '<stubs>' } }]

after `examples/python-plugin/gen_stubs.sh <stubs>`. The host starts it with HUBSPOKE_PLUGIN_HOST (where to
register) and HUBSPOKE_PLUGIN_TOKEN (the one-time token every call carries, both ways) in its environment, and
keeps its stdin open: the plugin exits when stdin ends. See docs/plugins.md.
"""
import json
import os
import sys
import uuid
from concurrent import futures

import grpc
from hubspoke.v1 import envelope_pb2, plugin_pb2, plugin_pb2_grpc

TOKEN = os.environ["HUBSPOKE_PLUGIN_TOKEN"]
HOST = os.environ["HUBSPOKE_PLUGIN_HOST"]
AUTH = (("authorization", "Bearer " + TOKEN),)


class AckPlugin(plugin_pb2_grpc.PluginServicer):
    def __init__(self):
        self.instance_id = uuid.uuid4().hex
        self.host = None
        self.topic = "sensor.reading"

    def _check(self, context):
        if dict(context.invocation_metadata()).get("authorization") != "Bearer " + TOKEN:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "HS_ERR_PLUGIN: the call does not carry this plugin's token")

    def _log(self, level, message, **fields):
        self.host.Log(plugin_pb2.LogRequest(level=level, message=message, fields_json=json.dumps(fields)), metadata=AUTH)

    def Describe(self, request, context):
        self._check(context)
        return plugin_pb2.PluginManifest(
            name="py-ack", version="1.0.0", description="answers sensor readings (Python)",
            capabilities=["session"], protocol=plugin_pb2.PLUGIN_PROTOCOL_V1,
        )

    def Health(self, request, context):
        self._check(context)
        return plugin_pb2.HealthReply(serving=True, instance_id=self.instance_id)

    def Initialize(self, request, context):
        self._check(context)
        # The identity is the host's: node, namespace and plugin name come from here, never from the plugin.
        self.host = plugin_pb2_grpc.HostStub(grpc.insecure_channel(request.host_address))
        config = json.loads(request.config_json or "{}")
        self.topic = config.get("topic", self.topic)
        return plugin_pb2.PluginEmpty()

    def SessionReady(self, request, context):
        self._check(context)
        sub = self.host.Subscribe(plugin_pb2.SubscribeRequest(pattern=self.topic), metadata=AUTH)
        self._log("info", "subscribed", topic=self.topic, subscription=sub.subscription_id)
        return plugin_pb2.PluginEmpty()

    def DeliverEvent(self, request, context):
        self._check(context)
        ev = request.event
        reading = json.loads(ev.payload or b"null")
        answer = {"ack": ev.id, "reading": reading, "by": "python"}
        self.host.Publish(
            plugin_pb2.PublishRequest(
                topic="sensor.ack", direction=envelope_pb2.DIRECTION_DOWN,
                payload=json.dumps(answer).encode(), content_type="application/json",
                correlation_id=ev.correlation_id, causation_id=ev.id,
                namespace=ev.namespace, has_namespace=True, edge_id=ev.edge_id, has_edge_id=True,
            ),
            metadata=AUTH,
        )
        return plugin_pb2.PluginEmpty()

    def SessionClosing(self, request, context):
        self._check(context)
        return plugin_pb2.PluginEmpty()

    def Shutdown(self, request, context):
        self._check(context)
        return plugin_pb2.PluginEmpty()


def main():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    plugin_pb2_grpc.add_PluginServicer_to_server(AckPlugin(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    host = plugin_pb2_grpc.HostStub(grpc.insecure_channel(HOST))
    host.Register(
        plugin_pb2.RegisterRequest(address="127.0.0.1:%d" % port, protocol=plugin_pb2.PLUGIN_PROTOCOL_V1, pid=os.getpid()),
        metadata=AUTH, timeout=30, wait_for_ready=True,
    )
    print("py-ack serving on 127.0.0.1:%d" % port, flush=True)
    sys.stdin.read()  # returns when the host closes our stdin (or dies)
    server.stop(grace=1)


if __name__ == "__main__":
    main()
