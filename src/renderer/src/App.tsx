import { RelayStatusPage } from './pages/RelayStatus/RelayStatusPage.tsx';

// One page for now; a router arrives with the second one.
export function App() {
  return <RelayStatusPage />;
}
