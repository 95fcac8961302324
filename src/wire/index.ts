export * from './errors.ts';
export * from './varint.ts';
export * from './frame-decoder.ts';
export * from './request-frame.ts';
export * from './response-frame.ts';
export * from './frame-writer.ts';
export * from './grpc-message.ts';
