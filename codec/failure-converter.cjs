'use strict';
/*
 * Loaded by path, not imported: Temporal requires a failure converter module both in the worker
 * (activity failures) and inside the workflow bundle (workflow failures), and plain CommonJS is
 * the one format that both Node's require() and the workflow bundler load without a TypeScript
 * loader. With encodeCommonAttributes the message and stack trace of every failure move into a
 * payload, which the payload codec then encrypts: error texts often quote the very inputs the
 * encryption protects.
 */
const { DefaultFailureConverter } = require('@temporalio/common');

/** Found in a prebundled workflow bundle only when it was built with this converter. */
const ENCRYPTED_FAILURES_MARKER = 'lpmm:failure-attributes-encoded-v1';

class EncodingFailureConverter extends DefaultFailureConverter {
  constructor() {
    super({ encodeCommonAttributes: true });
    this.marker = ENCRYPTED_FAILURES_MARKER;
  }
}

exports.ENCRYPTED_FAILURES_MARKER = ENCRYPTED_FAILURES_MARKER;
exports.failureConverter = new EncodingFailureConverter();
