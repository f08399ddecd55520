// Harbor's model (users, projects, members, roles, robots, counters, audit): the public face.
export { MetaStore, MetaError } from './store.js';
export type { User, Project, Member, Robot, RobotPermission, RobotAccess, RepositoryStats, Times, AuditEntry } from './store.js';
export { Role, ROLE_NAMES, isRoleId, roleAllows, publicAllows } from './roles.js';
export type { RoleId, Resource, Permission } from './roles.js';
export { projectNameError, robotNameError, userNameError } from './names.js';
export { hashPassword, verifyPassword, isStrongPassword, generateSecret } from './passwords.js';
