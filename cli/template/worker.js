import { createAblauf } from 'ablauf';
import engine from './build/engine.wasm';
const app = createAblauf({ engine, activities: {} });
export const WorkflowRunner = app.WorkflowRunner;
export default app.worker;
