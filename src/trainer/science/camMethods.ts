/**
 * The CAM methods' names, as the paper's configs, the eval files and the editor name them. The methods themselves
 * are in cam/; their names live here so reports and pages can name a method without loading one.
 */

export const CAM_METHOD_NAMES = ['cam', 'gradcam', 'gradcam++', 'layercam'] as const;
export type CamMethodName = (typeof CAM_METHOD_NAMES)[number];

export function isCamMethodName(name: string): name is CamMethodName {
  return (CAM_METHOD_NAMES as readonly string[]).includes(name);
}
