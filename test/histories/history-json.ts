import { createRequire } from 'node:module';
import type * as Proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';

/*
 * History <-> the JSON of `temporal workflow show --output json` (proto3 JSON).
 *
 * Why not historyToJSON/historyFromJSON from @temporalio/common: in this install @temporalio/common
 * and @temporalio/proto each have their own copy of protobufjs (the top level holds the 7.x that
 * @grpc/proto-loader wants), and those helpers hand a type built by one copy to the JSON codec of
 * the other, which refuses it ("type must be a Type"). Taking the codec from the same copy that
 * built the types works whatever the layout.
 */

type History = Proto.temporal.api.history.v1.IHistory;

interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}

const require = createRequire(import.meta.url);
const protoRequire = createRequire(require.resolve('@temporalio/proto'));
const protojson = protoRequire('protobufjs/ext/protojson') as ProtoJson;
// The CommonJS exports object, as the SDK passes it (an ESM namespace object has no constructor).
const protoRoot = require('@temporalio/proto') as typeof Proto;
const historyType = (
  patchProtobufRoot(protoRoot as unknown as Record<string, unknown>) as unknown as {
    lookupType(name: string): unknown;
  }
).lookupType('temporal.api.history.v1.History');

export function historyToJson(history: History): string {
  const message = protoRoot.temporal.api.history.v1.History.fromObject(history);
  return JSON.stringify(protojson.toJson(historyType, message), null, 2);
}

export function historyFromJson(json: unknown): History {
  if (typeof json !== 'object' || json === null || !Array.isArray((json as { events?: unknown }).events)) {
    throw new TypeError('expected an object with an array of events');
  }
  // Unknown fields are tolerated: a history written by a newer server or CLI still loads.
  return protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History;
}
