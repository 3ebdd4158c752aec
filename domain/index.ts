/*
 * Public surface of the pure domain layer. Safe to import from Temporal workflow code:
 * nothing here does I/O, reads a clock or draws random numbers.
 */
export * from './errors';
export * from './money';
export * from './pool';
export * from './hedge';
export * from './config';
export * from './volatility';
export * from './spread-policy';
export * from './strategies/index';
export * from './intensity';
export * from './risk';
export * from './pnl';
export * from './events';
export * from './orders';
export * from './streams';
export * from './quote-plan';
export * from './assets';
export * from './pairs';
export * from './price-graph';
export * from './portfolio';
export * from './portfolio-risk';
export * from './netting';
export * from './portfolio-input';
export * from './price-band';
export * from './portfolio-report';
export * from './desk';
