import './lib/zod-no-eval.ts';
import '@mantine/core/styles.css';
import '@mantine/notifications/styles.css';
import { MantineProvider } from '@mantine/core';
import { Notifications } from '@mantine/notifications';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { theme } from './theme.ts';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

createRoot(root).render(
  <StrictMode>
    {/* "auto" follows the OS light/dark setting until the user picks one. */}
    <MantineProvider theme={theme} defaultColorScheme="auto">
      {/* Bottom right: the top right holds each page's main buttons (Export CSV), which a notification would cover. */}
      <Notifications position="bottom-right" />
      <App />
    </MantineProvider>
  </StrictMode>,
);
