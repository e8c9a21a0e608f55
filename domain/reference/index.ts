export * from './themes';
export * from './funders';
export * from './qpv';
