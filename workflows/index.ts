export { MarketMakerWorkflow } from './market-maker';
export { SpreadManagementSaga } from './spread-saga';
export { PortfolioSupervisorWorkflow } from './portfolio-supervisor';
