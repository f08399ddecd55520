// Name rules for Harbor objects.

/**
 * Project names: harbor src/pkg/project/manager.go (restrictedNameChars), 1-255 characters,
 * lower case alphanumerics separated by single `.`, `_` or `-`.
 */
const PROJECT_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
/** Robot names: harbor src/server/v2.0/handler/robot.go validateName (`+` is never valid). */
const ROBOT_NAME = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
/**
 * User names: 1-255 characters without Harbor's IllegalCharsInUsername (`,"~#%$`, harbor
 * src/common/const.go); berth also refuses `:` (it ends the user name in Basic credentials),
 * slashes and whitespace.
 */
const USER_NAME_BAD = /[,"~#%$\s:/\\]/;

/** Returns Harbor's error message for a bad project name, or undefined when valid. */
export function projectNameError(name: string): string | undefined {
  if (name.length < 1 || name.length > 255) {
    return `Project name ${name} is illegal in length. (greater than 255 or less than 1)`;
  }
  if (!PROJECT_NAME.test(name)) return 'project name is not in lower case or contains illegal characters';
  return undefined;
}

/** Returns Harbor's error message for a bad robot name, or undefined when valid. */
export function robotNameError(name: string): string | undefined {
  if (name.length < 1 || name.length > 255 || !ROBOT_NAME.test(name)) {
    return 'robot name is not in lower case or contains illegal characters';
  }
  return undefined;
}

/** Returns an error message for a bad user name, or undefined when valid. */
export function userNameError(name: string): string | undefined {
  if (name.length < 1 || name.length > 255) return 'username with illegal length';
  if (USER_NAME_BAD.test(name)) return 'username contains illegal characters';
  return undefined;
}
