export { resolveSettings } from "./settings.js";
