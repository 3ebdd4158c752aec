/** Workflow ids derive from the pool: one market maker and one saga per pool, found by anyone who knows the pool. */
export const marketMakerWorkflowId = (poolId: string) => `market-maker/${poolId}`;
export const spreadSagaWorkflowId = (poolId: string) => `spread-saga/${poolId}`;
