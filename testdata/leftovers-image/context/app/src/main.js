'use strict';
const ms = require('ms');
const config = require('../config.json');

console.log(`${config.name}: polling every ${ms(config.interval)}`);
