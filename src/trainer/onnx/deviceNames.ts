/**
 * The devices a session can run on and the environment variable that picks one: names only, no native code, so
 * the extension host can read and pass them (device.ts checks them inside the trainer).
 */
export type Device = 'cpu' | 'cuda' | 'webgpu';
export const DEVICES: readonly Device[] = ['cpu', 'cuda', 'webgpu'];

/** "cpu, cuda or webgpu", for messages. */
export function deviceList(): string {
  return `${DEVICES.slice(0, -1).join(', ')} or ${DEVICES[DEVICES.length - 1]}`;
}

/** The environment variable that picks the device for every session of a process (the CLI's --device sets it). */
export const DEVICE_ENV = 'AU_LENS_DEVICE';

export function isDevice(value: string): value is Device {
  return (DEVICES as readonly string[]).includes(value);
}

/** How to pick another device, from the CLI and from the editor: the end of every device error. */
export const CHOOSE_DEVICE = '--device (in VS Code, the setting AU Lens › Device)';
