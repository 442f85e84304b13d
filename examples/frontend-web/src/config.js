// Settings of the web frontend's backend-for-frontend.
'use strict';

module.exports = {
  region: 'us-east-1',
  // Leaked on purpose for the security gate to find (a made-up key id).
  accessKeyId: 'AKIAZ4QG7VWX3JRT5M2K',
  sessionTimeoutMinutes: 30,
};
