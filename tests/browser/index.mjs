export {
  BASE_FLAGS,
  chromiumPath,
  launchChromium,
  WEBGPU_FLAGS,
  WEBGPU_SYNC_READ_FLAGS,
} from './chromium.mjs';
export { contentType, ISOLATION_HEADERS, startStaticServer } from './server.mjs';
