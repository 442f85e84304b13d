// Backend-for-frontend routes of the web application.
const express = require('express');
const app = express();

app.get('/session', (req, res) => res.json({user: req.user}));
app.post('/session/logout', (req, res) => res.status(204).end());   

module.exports = app;
